"""Chart markers come from the same signal engine as live alerts."""

from __future__ import annotations

from datetime import UTC

import numpy as np
from backtesting.test import GOOG

from bot.chart import history_events, render_chart
from core.settings import Settings
from core.types import Bar, Interval
from signals import SignalConfig, compute_history


def _bars() -> list[Bar]:
    return [
        Bar("GOOG", Interval.D1, ts.to_pydatetime().replace(tzinfo=UTC), o, h, lo, c, v)
        for ts, (o, h, lo, c, v) in zip(
            GOOG.index, GOOG[["Open", "High", "Low", "Close", "Volume"]].itertuples(index=False), strict=True
        )
    ]


def test_history_events_equal_the_engine_and_merge_stored_ones() -> None:
    bars = _bars()
    found = history_events(bars, Settings(_env_file=None))  # type: ignore[call-arg]
    close, volume = np.array([b.close for b in bars]), np.array([b.volume for b in bars])
    res = compute_history(close, volume, SignalConfig())
    assert len(found) == sum(int(mask.sum()) for mask in res.events.values())
    assert found
    again = history_events(bars, Settings(_env_file=None), stored=found[:3])  # type: ignore[call-arg]
    assert len(again) == len(found)  # stored events are not drawn twice


def test_chart_is_a_png() -> None:
    bars = _bars()
    events = history_events(bars, Settings(_env_file=None))  # type: ignore[call-arg]
    png = render_chart(bars, events, "GOOG 1y", bars[-250].ts)
    assert png.startswith(b"\x89PNG")
