"""Golden test on backtesting.test.GOOG: the event study equals a plain pandas computation.

The reference below shares no code with finsignal: SMAs from pandas rolling means, RSI from an
explicit Wilder loop seeded like TA-Lib, the volume rule written out, forward returns by shift.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backtest import run_backtest
from core.types import Bar, SignalType

H = (5, 20, 60)
FIRST = 200  # the first bar where every rule can fire: SMA 200 on this bar and the one before


def wilder_rsi(close: pd.Series, period: int = 14) -> pd.Series:
    diff = close.diff().to_numpy()
    out = np.full(close.size, np.nan)
    gains = np.where(diff > 0, diff, 0.0)
    losses = np.where(diff < 0, -diff, 0.0)
    avg_gain = gains[1 : period + 1].mean()
    avg_loss = losses[1 : period + 1].mean()
    for t in range(period, close.size):
        if t > period:
            avg_gain = (avg_gain * (period - 1) + gains[t]) / period
            avg_loss = (avg_loss * (period - 1) + losses[t]) / period
        total = avg_gain + avg_loss
        out[t] = 100.0 * avg_gain / total if total else 50.0
    return pd.Series(out, index=close.index)


def crosses_up(a: pd.Series, b: pd.Series) -> pd.Series:
    ok = a.notna() & b.notna() & a.shift().notna() & b.shift().notna()
    return ok & (a > b) & ~(a.shift() > b.shift())


def crosses_down(a: pd.Series, b: pd.Series) -> pd.Series:
    ok = a.notna() & b.notna() & a.shift().notna() & b.shift().notna()
    return ok & (a < b) & ~(a.shift() < b.shift())


def reference_masks(df: pd.DataFrame) -> dict[SignalType, pd.Series]:
    close, volume = df["Close"].astype(float), df["Volume"].astype(float)
    sma50, sma200 = close.rolling(50).mean(), close.rolling(200).mean()
    rsi = wilder_rsi(close)
    base = volume.rolling(20).mean().shift()
    spike = ((base > 0) & (volume >= 2.0 * base)).where(base.notna())
    prev = spike.shift()
    ob, os_ = pd.Series(70.0, index=df.index), pd.Series(30.0, index=df.index)
    return {
        SignalType.BREAKOUT_200: crosses_up(close, sma200) & sma200.shift().notna(),
        SignalType.BREAKDOWN_200: crosses_down(close, sma200) & sma200.shift().notna(),
        SignalType.GOLDEN_CROSS: crosses_up(sma50, sma200),
        SignalType.DEATH_CROSS: crosses_down(sma50, sma200),
        SignalType.RSI_OVERBOUGHT: crosses_up(rsi, ob) & rsi.shift().notna(),
        SignalType.RSI_OVERSOLD: crosses_down(rsi, os_) & rsi.shift().notna(),
        SignalType.VOLUME_SPIKE: (spike == 1.0) & (prev == 0.0),
    }


def reference_stats(
    df: pd.DataFrame, mask: pd.Series, signal: SignalType, h: int, basis: str = "next_open"
) -> dict[str, float]:
    close, high, low, open_ = (
        df[c].astype(float).reset_index(drop=True) for c in ("Close", "High", "Low", "Open")
    )
    entry = open_.shift(-1) if basis == "next_open" else close  # what a trader could get
    n = close.size
    rows = [t for t in np.flatnonzero(mask.to_numpy()) if t >= FIRST]
    kept = [t for t in rows if t + h <= n - 1]
    if signal.direction:
        d = pd.Series([float(signal.direction)] * len(kept))
    else:
        d = pd.Series([1.0 if close[t] >= close[t - 1] else -1.0 for t in kept])
    fwd = pd.Series([close[t + h] / entry[t] - 1.0 for t in kept]) * d
    all_fwd = (close.shift(-h) / entry - 1.0).iloc[FIRST : n - h]
    baseline = all_fwd.mean() * d.mean()
    mae = []
    for t, dd in zip(kept, d, strict=True):
        if dd > 0:
            mae.append(min(low[t + 1 : t + h + 1].min() / entry[t] - 1.0, 0.0))
        else:
            mae.append(min(1.0 - high[t + 1 : t + h + 1].max() / entry[t], 0.0))
    return {
        "count": len(kept),
        "excluded": len(rows) - len(kept),
        "hit_rate": (fwd > 0).mean(),
        "mean_return": fwd.mean(),
        "median_return": fwd.median(),
        "baseline_mean": baseline,
        "excess": fwd.mean() - baseline,
        "t_stat": (fwd.mean() - baseline) / (fwd.std(ddof=1) / math.sqrt(len(kept))),
        "worst_mae": min(mae),
    }


@pytest.fixture(scope="module")
def result(goog_bars: list[Bar]):  # type: ignore[no-untyped-def]
    return run_backtest({"GOOG": goog_bars}, horizons=H, years=10, keep_series=True)


def test_event_masks_equal_plain_pandas(goog: pd.DataFrame, result) -> None:  # type: ignore[no-untyped-def]
    ref = reference_masks(goog)
    series = result.series["GOOG"]
    for sig, mask in ref.items():
        assert np.array_equal(series.events[sig], mask.to_numpy()), sig
        assert mask.sum() > 0, sig


@pytest.mark.parametrize("basis", ["next_open", "close"])
def test_statistics_equal_plain_pandas(goog: pd.DataFrame, goog_bars: list[Bar], basis: str) -> None:
    ref = reference_masks(goog)
    run = run_backtest({"GOOG": goog_bars}, horizons=H, years=10, basis=basis)
    records = {(r["signal"], r["horizon"]): r for r in run.records()}
    assert len(records) == len(SignalType) * len(H)
    for sig, mask in ref.items():
        for h in H:
            rec, want = records[(sig.value, h)], reference_stats(goog, mask, sig, h, basis)
            assert rec["count"] == want["count"] > 0, (sig, h)
            assert rec["excluded"] == want["excluded"], (sig, h)
            for key in (
                "hit_rate",
                "mean_return",
                "median_return",
                "baseline_mean",
                "excess",
                "t_stat",
                "worst_mae",
            ):
                assert rec[key] == pytest.approx(want[key], abs=1e-12, rel=0), (sig, h, key)


def test_late_events_are_excluded_and_counted(goog: pd.DataFrame, result) -> None:  # type: ignore[no-untyped-def]
    ref = reference_masks(goog)  # the moving-average, RSI and volume types
    names = {str(k) for k in ref}
    records = [r for r in result.records() if r["horizon"] == 60 and str(r["signal"]) in names]
    assert sum(r["excluded"] for r in records) > 0  # GOOG has events in its last 60 bars
    late = sum(int(m.to_numpy()[-60:].sum()) for m in ref.values())
    assert sum(r["excluded"] for r in records) == late


def test_period_starts_after_warmup(goog: pd.DataFrame, result) -> None:  # type: ignore[no-untyped-def]
    rec = result.records()[0]
    assert rec["period_start"].startswith(goog.index[FIRST].date().isoformat())
    assert rec["period_end"].startswith(goog.index[-1].date().isoformat())
    assert rec["period_bars"] == len(goog) - FIRST
