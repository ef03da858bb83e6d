"""Optional checks on the real daily histories in ../shared/data (skipped where they are absent)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from signals import SignalEngine, compute_history
from tests.signals.helpers import bars

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
PRICE_DIRS = ("carbon", "kr", "us_lean")  # data/news holds headlines, not prices
FILES = sorted(p for d in PRICE_DIRS for p in (DATA / d).glob("*.csv")) if DATA.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason=f"no real histories at {DATA}")


def load(path: Path) -> tuple[np.ndarray, np.ndarray, list]:  # type: ignore[type-arg]
    df = pd.read_csv(path, parse_dates=["Date"]).set_index("Date").sort_index()
    df = df[~df.index.duplicated(keep="last")]
    col = "AdjClose" if "AdjClose" in df else "Close"
    df = df[df[col].notna() & (df[col] > 0)]
    ts = [t.to_pydatetime().replace(tzinfo=UTC) for t in df.index]
    return df[col].to_numpy(float), df["Volume"].fillna(0.0).to_numpy(float), ts


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_real_history_matches_talib_and_live_equals_batch(path: Path) -> None:
    close, volume, ts = load(path)
    res = compute_history(close, volume)
    for ours, ref in ((res.sma_fast, talib.SMA(close, 50)), (res.sma_slow, talib.SMA(close, 200)),
                      (res.rsi, talib.RSI(close, 14)), (res.vol_avg, talib.SMA(volume, 20))):  # fmt: skip
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9, equal_nan=True)
    engine = SignalEngine()
    engine.warm_up(path.stem, bars(path.stem, close[:-300], volume[:-300], ts[:-300]))
    live = [e for b in bars(path.stem, close[-300:], volume[-300:], ts[-300:]) for e in engine.on_bar(b)]
    batch = [e for e in res.to_events([path.stem], ts) if e.ts >= ts[-300]]
    assert live == batch
