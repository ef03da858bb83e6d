"""Indicators against TA-Lib and pandas-ta (the references), on real and synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas_ta as ta
import pytest
import talib
from backtesting.test import GOOG

from core.quality import QualityRules
from core.types import Interval
from signals import SignalConfig, SignalEngine, compute_history
from signals._kernel import RECOMPUTE_BARS
from signals.config import MAX_WINDOW
from tests.signals.helpers import bars, stamps, walk

RTOL = 1e-9


def assert_matches(ours: np.ndarray, ref: np.ndarray) -> None:
    """Same NaN pattern (warm-up), equal within 1e-9 (relative, absolute for values near 0)."""
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=RTOL, equal_nan=True)


def check_against_talib(close: np.ndarray, volume: np.ndarray, cfg: SignalConfig) -> None:
    res = compute_history(close, volume, cfg)
    assert_matches(res.sma_fast, talib.SMA(close, cfg.sma_fast))
    assert_matches(res.sma_slow, talib.SMA(close, cfg.sma_slow))
    assert_matches(res.rsi, talib.RSI(close, cfg.rsi_period))
    assert_matches(res.vol_avg, talib.SMA(volume, cfg.volume_window))


def test_goog_matches_talib() -> None:
    close = GOOG.Close.to_numpy(dtype=float)
    volume = GOOG.Volume.to_numpy(dtype=float)
    check_against_talib(close, volume, SignalConfig())
    res = compute_history(close, volume)
    assert int(np.isnan(res.sma_slow).sum()) == 199  # first complete SMA200 on bar 200
    assert int(np.isnan(res.rsi).sum()) == 14


def test_goog_matches_pandas_ta_delegating_to_talib() -> None:
    close = GOOG.Close.astype(float)
    res = compute_history(close.to_numpy(), GOOG.Volume.to_numpy(dtype=float))
    assert_matches(res.sma_fast, ta.sma(close, length=50, talib=True).to_numpy())
    assert_matches(res.sma_slow, ta.sma(close, length=200, talib=True).to_numpy())
    assert_matches(res.rsi, ta.rsi(close, length=14, talib=True).to_numpy())


def test_pandas_ta_own_rsi_is_seeded_differently() -> None:
    """The documented trap: pandas-ta's own RSI (talib=False) differs by tens of points early on."""
    close = GOOG.Close.astype(float)
    res = compute_history(close.to_numpy(), GOOG.Volume.to_numpy(dtype=float))
    own = ta.rsi(close, length=14, talib=False).to_numpy()
    diff = np.abs(own - res.rsi)
    assert np.nanmax(diff[:250]) > 10.0  # tens of RSI points in the first bars
    assert np.nanmax(diff[1000:]) < 1e-9  # the seed's influence has faded by then


@pytest.mark.parametrize(
    ("seed", "start", "cfg"),
    [
        (1, 100.0, SignalConfig()),
        (2, 2_000_000.0, SignalConfig()),  # KRW-sized prices
        (3, 0.05, SignalConfig()),  # penny prices
        (4, 50.0, SignalConfig(sma_fast=5, sma_slow=13, rsi_period=3, volume_window=7)),
        (5, 50.0, SignalConfig(sma_fast=150, sma_slow=200, rsi_period=30, volume_window=60)),
        # the RSI period, then the volume window, as the longest warm-up (the kernel's past-warm-up
        # copy starts after the longest of them)
        (6, 50.0, SignalConfig(sma_fast=5, sma_slow=10, rsi_period=30, volume_window=5)),
        (7, 50.0, SignalConfig(sma_fast=5, sma_slow=10, rsi_period=3, volume_window=40)),
    ],
)
def test_long_random_walks_match_talib(seed: int, start: float, cfg: SignalConfig) -> None:
    close, volume = walk(12_000, seed, start)
    check_against_talib(close, volume, cfg)


def test_sma_has_no_drift_over_long_histories() -> None:
    """Against exact window sums (math.fsum) at spots across 30,000 bars of wildly varying scale."""
    import math

    rng = np.random.default_rng(7)
    close = np.exp(np.cumsum(rng.normal(0.0, 0.05, 30_000))) * 1e3  # spans many orders of magnitude
    volume = np.floor(rng.lognormal(10.0, 3.0, 30_000))
    res = compute_history(close, volume)
    for t in range(199, 30_000, 997):
        exact = math.fsum(close[t - 199 : t + 1].tolist()) / 200
        assert res.sma_slow[t] == pytest.approx(exact, rel=1e-13)
        exact_v = math.fsum(volume[t - 19 : t + 1].tolist()) / 20
        assert res.vol_avg[t] == pytest.approx(exact_v, rel=1e-12, abs=1e-12)


def test_running_sums_lose_the_residue_of_huge_values() -> None:
    """Values around 1e8 leave rounding residue in a running sum that later values around 1 would
    carry for good; the periodic exact recomputation (at most every RECOMPUTE_BARS bars) clears
    it, in the batch and the live path alike."""
    import math

    rng = np.random.default_rng(3)
    n = RECOMPUTE_BARS + 400
    close = np.concatenate([rng.uniform(1e8, 2e8, 300), rng.uniform(1.0, 2.0, n - 300)])
    volume = np.concatenate([rng.uniform(1e14, 2e14, 300), rng.uniform(1.0, 2.0, n - 300)])
    res = compute_history(close, volume)
    before = RECOMPUTE_BARS - 2  # the first recomputation is at bar RECOMPUTE_BARS - 1
    assert abs(res.sma_slow[before] - math.fsum(close[before - 199 : before + 1]) / 200) > 1e-9
    for t in range(RECOMPUTE_BARS, n, 13):
        assert res.sma_slow[t] == pytest.approx(math.fsum(close[t - 199 : t + 1]) / 200, rel=1e-14)
        assert res.sma_fast[t] == pytest.approx(math.fsum(close[t - 49 : t + 1]) / 50, rel=1e-14)
        assert res.vol_avg[t] == pytest.approx(math.fsum(volume[t - 19 : t + 1]) / 20, rel=1e-14)
    engine = SignalEngine()
    # uniform noise, not prices: every bar "reverts", so the outlier part of the bad-bar rule is off
    noise = QualityRules(outlier_floor=math.inf, outlier_extreme=math.inf)
    engine.warm_up("X", bars("X", close[:-1], volume[:-1], stamps(n)[:-1]), rules=noise)
    engine.on_bar(bars("X", close[-1:], volume[-1:], stamps(n)[-1:])[0])
    snap = engine.snapshot("X")
    assert (snap["sma_slow"], snap["sma_fast"], snap["vol_avg"]) == (
        res.sma_slow[-1],
        res.sma_fast[-1],
        res.vol_avg[-1],
    )


def test_nan_front_padding_per_column_matches_talib() -> None:
    """2-D input: columns with shorter histories padded with NaN at the front."""
    cols = [walk(3_000, s) for s in range(4)]
    close = np.column_stack([c for c, _ in cols])
    volume = np.column_stack([v for _, v in cols])
    for j, pad in enumerate((0, 1, 700, 2_950)):
        close[:pad, j] = np.nan
        volume[:pad, j] = np.nan
    res = compute_history(close, volume)
    for j in range(4):
        check_cfg = SignalConfig()
        assert_matches(res.sma_slow[:, j], talib.SMA(close[:, j], check_cfg.sma_slow))
        assert_matches(res.rsi[:, j], talib.RSI(close[:, j], check_cfg.rsi_period))
        assert_matches(res.vol_avg[:, j], talib.SMA(volume[:, j], check_cfg.volume_window))
        one = compute_history(close[:, j], volume[:, j])
        np.testing.assert_array_equal(one.bits, res.bits[:, j])
        np.testing.assert_array_equal(one.rsi, res.rsi[:, j])


def test_rows_without_a_bar_are_skipped() -> None:
    """A NaN row inside a history (market closed that day) equals the series without that row."""
    close, volume = walk(1_500, 11)
    holes = np.zeros(1_500, dtype=bool)
    holes[[250, 251, 600, 1_499]] = True
    c = close.copy()
    c[holes] = np.nan
    res = compute_history(c, volume)
    dense = compute_history(close[~holes], volume[~holes])
    for name in ("sma_fast", "sma_slow", "rsi", "vol_avg", "vol_base"):
        arr = getattr(res, name)
        assert np.isnan(arr[holes]).all()
        np.testing.assert_array_equal(arr[~holes], getattr(dense, name))
    np.testing.assert_array_equal(res.bits[~holes], dense.bits)
    assert not res.bits[holes].any()


def test_flat_series_rsi_is_documented_not_nan() -> None:
    close = np.full(300, 10.0)
    volume = np.full(300, 100.0)
    res = compute_history(close, volume)
    assert np.all(res.rsi[14:] == 50.0)  # SignalConfig.rsi_flat
    assert np.all(talib.RSI(close, 14)[14:] == 0.0)  # TA-Lib's value, which reads as "oversold"
    assert not any(m.any() for m in res.events.values())
    # with rsi_flat=0 the engine reproduces TA-Lib exactly
    check_against_talib(close, volume, SignalConfig(rsi_flat=0.0))


def test_rising_series_rsi_is_100_and_falling_is_0() -> None:
    up = np.linspace(10.0, 40.0, 100)
    assert np.all(compute_history(up, np.ones(100)).rsi[14:] == 100.0)
    down = up[::-1].copy()
    assert np.all(compute_history(down, np.ones(100)).rsi[14:] == 0.0)
    check_against_talib(up, np.ones(100), SignalConfig())
    check_against_talib(down, np.ones(100), SignalConfig())


def test_flat_start_then_moves_matches_talib_after_first_change() -> None:
    close = np.r_[np.full(40, 5.0), np.linspace(5.0, 6.0, 60), np.linspace(6.0, 4.0, 60)]
    res = compute_history(close, np.ones(close.size))
    ref = talib.RSI(close, 14)
    assert np.all(res.rsi[14:41] == 50.0)
    np.testing.assert_allclose(res.rsi[41:], ref[41:], rtol=RTOL)


def test_fewer_bars_than_warmup() -> None:
    close, volume = walk(150, 3)
    res = compute_history(close, volume)
    assert np.isnan(res.sma_slow).all()
    assert not any(res.events[s].any() for s in res.events if s.value.endswith(("_200", "cross")))
    assert not np.isnan(res.sma_fast[49:]).any()
    empty = compute_history(np.array([]), np.array([]))
    assert empty.rsi.shape == (0,)


def test_pandas_series_and_lists_are_accepted() -> None:
    close, volume = walk(400, 8)
    a = compute_history(pd.Series(close).to_numpy(), volume)
    b = compute_history(close.tolist(), volume.tolist())  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.rsi, b.rsi)


def test_longest_window_past_the_counter_limit_matches_talib_and_live() -> None:
    """sma_slow = MAX_WINDOW over more than 4 windows: the uint16 ring positions and recompute
    counters wrap where they must, and live equals batch exactly."""
    n = 4 * MAX_WINDOW + 900
    close, volume = walk(n, 11)
    cfg = SignalConfig(sma_fast=50, sma_slow=MAX_WINDOW, volume_window=MAX_WINDOW)
    check_against_talib(close, volume, cfg)
    res = compute_history(close, volume, cfg)
    engine = SignalEngine(cfg, Interval.D1)
    ts = stamps(n)
    engine.warm_up("X", bars("X", close[: n - 300], volume[: n - 300], ts[: n - 300]))
    for b in bars("X", close[n - 300 :], volume[n - 300 :], ts[n - 300 :]):
        engine.on_bar(b)
    snap = engine.snapshot("X")
    ours = (snap["sma_slow"], snap["vol_avg"], snap["rsi"])
    assert ours == (res.sma_slow[-1], res.vol_avg[-1], res.rsi[-1])
