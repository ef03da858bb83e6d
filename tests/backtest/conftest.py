"""Shared fixtures: the GOOG daily history that backtesting.py ships, as finsignal Bars."""

from __future__ import annotations

from datetime import UTC

import pandas as pd
import pytest
from backtesting.test import GOOG

from core.types import Bar, Interval


def frame_to_bars(symbol: str, frame: pd.DataFrame) -> list[Bar]:
    return [
        Bar(
            symbol,
            Interval.D1,
            ts.to_pydatetime().replace(tzinfo=UTC),
            float(r.Open),
            float(r.High),
            float(r.Low),
            float(r.Close),
            float(r.Volume),
        )
        for ts, r in frame.iterrows()
    ]


@pytest.fixture(scope="session")
def goog() -> pd.DataFrame:
    return GOOG.copy()


@pytest.fixture(scope="session")
def goog_bars(goog: pd.DataFrame) -> list[Bar]:
    return frame_to_bars("GOOG", goog)
