"""Bollinger bands, the squeeze breakout and 52-week highs/lows: TA-Lib and rolling max/min equal,
live equals batch, rules on constructed paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import talib

from core.types import SignalType
from signals import SignalConfig, SignalEngine, compute_history
from tests.signals.helpers import bars, stamps, walk
from tests.signals.test_real_data import FILES, load

TOL = 1e-9
S = SignalType


def check_reference(close: np.ndarray, cfg: SignalConfig) -> None:
    res = compute_history(close, np.ones_like(close), cfg)
    up, mid, lo = talib.BBANDS(close, cfg.bb_period, cfg.bb_stddev, cfg.bb_stddev, 0)
    for ours, ref in ((res.bb_upper, up), (res.bb_mid, mid), (res.bb_lower, lo)):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
        np.testing.assert_allclose(ours, ref, rtol=TOL, atol=TOL, equal_nan=True)
    w = cfg.high_low_window
    prior_hi = np.concatenate([[np.nan], talib.MAX(close, w)[:-1]])
    prior_lo = np.concatenate([[np.nan], talib.MIN(close, w)[:-1]])
    np.testing.assert_array_equal(res.high_52w, prior_hi)  # exact: a maximum does not round
    np.testing.assert_array_equal(res.low_52w, prior_lo)
    # the rules, recomputed from the reference values
    above, below = close > up, close < lo
    fresh_up = above & ~np.concatenate([[True], above[:-1]]) & ~np.isnan(np.concatenate([[np.nan], up[:-1]]))
    np.testing.assert_array_equal(res.events[S.BB_UPPER_BREAK], fresh_up)
    fresh_dn = below & ~np.concatenate([[True], below[:-1]]) & ~np.isnan(np.concatenate([[np.nan], lo[:-1]]))
    np.testing.assert_array_equal(res.events[S.BB_LOWER_BREAK], fresh_dn)
    new_hi = close > prior_hi
    prev_def = np.concatenate([[False], ~np.isnan(prior_hi[:-1])])
    expect_hi = new_hi & ~np.concatenate([[True], new_hi[:-1]]) & prev_def
    np.testing.assert_array_equal(res.events[S.HIGH_52W], expect_hi)


def test_bands_and_52w_match_talib_on_random_walks() -> None:
    for seed in range(3):
        close, _ = walk(3000, seed)
        check_reference(close, SignalConfig())
    close, _ = walk(2000, 7, start=2_500_000.0)  # KRW-sized prices
    check_reference(close, SignalConfig(bb_period=10, bb_stddev=2.5, high_low_window=60))


def test_squeeze_breakout_fires_after_the_narrowest_band_then_a_close_outside() -> None:
    t = np.arange(200)
    wave = np.sin(2 * np.pi * t / 20)  # a full cycle per window: closes stay inside the band
    calm = 100.0 + (1.0 + t / 50) * wave  # swings that widen: the bandwidth keeps rising
    quiet = 100.0 + 0.05 * wave[:60]  # bandwidth shrinks to its lowest
    jump = np.array([103.0, 104.0])
    close = np.concatenate([calm, quiet, jump])
    res = compute_history(close, np.ones_like(close), SignalConfig(bb_squeeze_window=100))
    fired = np.flatnonzero(res.events[S.BB_SQUEEZE_BREAKOUT]).tolist()
    assert fired == [260]  # the first close outside after the squeeze; one per squeeze
    assert res.events[S.BB_UPPER_BREAK][260]
    # without the quiet stretch there is no squeeze within reach: an upper break but no squeeze event
    loud = np.concatenate([calm, jump])
    res2 = compute_history(loud, np.ones_like(loud), SignalConfig(bb_squeeze_window=100))
    assert not res2.events[S.BB_SQUEEZE_BREAKOUT][-2:].any()


def test_new_high_fires_once_per_run_of_highs() -> None:
    close = np.concatenate([np.linspace(100, 90, 300), np.linspace(90, 120, 30), [119.0, 125.0]])
    res = compute_history(close, np.ones_like(close), SignalConfig(high_low_window=252))
    hi = np.flatnonzero(res.events[S.HIGH_52W]).tolist()
    first_above = next(t for t in range(252, len(close)) if close[t] > close[t - 252 : t].max())
    assert first_above == 308  # the window forgets the early highs: 98.28 beats bar 56's 98.13
    assert hi == [first_above, len(close) - 1]  # a run of new highs alerts once; after a pause, again
    lo = np.flatnonzero(res.events[S.LOW_52W]).tolist()
    # bars 252..299 are all new lows, but the run started before the window was full: a rule
    # fires on a transition its previous bar could see, so this run never alerts
    assert lo == []


def live_equals_batch(close: np.ndarray, volume: np.ndarray, ts: list, split: int, cfg: SignalConfig) -> None:
    res = compute_history(close, volume, cfg)
    engine = SignalEngine(cfg)
    engine.warm_up("X", bars("X", close[:split], volume[:split], ts[:split]))
    live = [e for b in bars("X", close[split:], volume[split:], ts[split:]) for e in engine.on_bar(b)]
    batch = [e for e in res.to_events(["X"], ts) if e.ts >= ts[split]]
    assert [(e.ts, e.signal) for e in live] == [(e.ts, e.signal) for e in batch]
    for a, b in zip(live, batch, strict=True):
        assert a.values.keys() == b.values.keys()
        for key in a.values:
            assert a.values[key] == pytest.approx(b.values[key], rel=TOL, abs=TOL), (a.signal, key)
        assert a.strength == pytest.approx(b.strength, rel=TOL, abs=TOL)


def test_live_equals_batch_with_corrections_and_restarts() -> None:
    close, volume = walk(1500, 11)
    ts = stamps(1500)
    cfg = SignalConfig()
    live_equals_batch(close, volume, ts, 400, cfg)
    # a corrected last bar, and a dump/load in the middle, change nothing
    engine = SignalEngine(cfg)
    engine.warm_up("X", bars("X", close[:400], volume[:400], ts[:400]))
    got = []
    for k, b in enumerate(bars("X", close[400:], volume[400:], ts[400:])):
        wrong = bars("X", close[400 + k : 401 + k] * 1.3, volume[400 + k : 401 + k], ts[400 + k : 401 + k])[0]
        got.extend(engine.on_bar(wrong))  # a wrong bar, then its correction
        got.extend(engine.on_bar(b))
        if k == 300:
            engine = SignalEngine.load_state(engine.dump_state())
    batch = [e for e in compute_history(close, volume, cfg).to_events(["X"], ts) if e.ts >= ts[400]]
    want = [(e.ts, e.signal) for e in batch if e.signal.value.startswith(("bb_", "high", "low", "double"))]
    # an event of the wrong bar is not retracted but a correction never repeats one: only check
    # that every batch event was emitted on its bar
    assert set(want) <= {(e.ts, e.signal) for e in got}
    # and the state after all corrections is the state of the right bars: same values as the batch
    res = compute_history(close, volume, cfg)
    last = engine._extra_events("X", ts[-1], engine.slot("X"), float(close[-1]), 0b11111, np.zeros(16))
    assert last[0].values["bb_upper"] == pytest.approx(res.bb_upper[-1], rel=TOL)
    assert last[0].values["high_52w"] == pytest.approx(res.high_52w[-1], rel=TOL)


@pytest.mark.skipif(not FILES, reason="no real histories in ../shared/data")
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_real_history_bands_match_talib_and_live_equals_batch(path: Path) -> None:
    close, volume, ts = load(path)
    check_reference(close, SignalConfig())
    live_equals_batch(close, volume, ts, max(300, len(close) - 400), SignalConfig())


def test_without_a_pattern_type_the_other_events_are_unchanged_live_and_batch() -> None:
    """The pattern step runs only where a pattern type is enabled: leaving the four out changes no
    other value or event, in either path."""
    close, volume = walk(1500, 5)
    ts = stamps(1500)
    patterns = {S.HEAD_AND_SHOULDERS, S.INVERSE_HEAD_AND_SHOULDERS, S.DOUBLE_TOP, S.DOUBLE_BOTTOM}
    every, some = SignalConfig(), SignalConfig(enabled=SignalConfig().enabled - patterns)
    full, cut = compute_history(close, volume, every), compute_history(close, volume, some)
    assert full.patterns.shape[0] > 0
    assert cut.patterns.shape[0] == 0
    for name in ("bb_mid", "bb_upper", "bb_width", "high_52w", "low_52w", "rsi", "sma_slow"):
        np.testing.assert_array_equal(getattr(full, name), getattr(cut, name))
    np.testing.assert_array_equal(full.xbits & 0b11111, cut.xbits)
    want = [(e.ts, e.signal) for e in full.to_events(["X"], ts) if e.signal not in patterns]
    assert [(e.ts, e.signal) for e in cut.to_events(["X"], ts)] == want
    live_equals_batch(close, volume, ts, 400, some)
