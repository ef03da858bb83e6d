"""The live engine: incremental == batch, corrections, dedup, warm-up, state round trip."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from backtesting.test import GOOG

from core.types import Bar, Interval, SignalType
from signals import SignalConfig, SignalEngine, compute_history
from tests.signals.helpers import T0, bars, current_state, key_order, stamps, walk


def feed_one_by_one(engine: SignalEngine, seq: list[Bar]) -> list:  # type: ignore[type-arg]
    out = []
    for b in seq:
        out.extend(engine.on_bar(b))
    return out


def test_goog_incremental_equals_batch_events_and_indicators() -> None:
    close = GOOG.Close.to_numpy(dtype=float)
    volume = GOOG.Volume.to_numpy(dtype=float)
    ts = [t.to_pydatetime().replace(tzinfo=UTC) for t in GOOG.index]
    res = compute_history(close, volume)
    engine = SignalEngine()
    live = []
    for k, b in enumerate(bars("GOOG", close, volume, ts)):
        live.extend(engine.on_bar(b))
        snap = engine.snapshot("GOOG")
        for name in ("sma_fast", "sma_slow", "rsi", "vol_avg"):
            want = getattr(res, name)[k]
            assert snap[name] == (None if np.isnan(want) else want)  # bit-identical
    batch = res.to_events(["GOOG"], GOOG.index.to_numpy())
    assert live == batch
    # GOOG 2004-2013 fires every family but the inverse head and shoulders
    assert {e.signal for e in batch} == set(SignalType) - {SignalType.INVERSE_HEAD_AND_SHOULDERS}


def test_many_instruments_on_bars_equals_2d_batch() -> None:
    n, m = 1_200, 6
    cols = [walk(n, 100 + j) for j in range(m)]
    close = np.column_stack([c for c, _ in cols])
    volume = np.column_stack([v for _, v in cols])
    starts = [0, 0, 5, 300, 900, 1_190]
    for j, s in enumerate(starts):
        close[:s, j] = np.nan
        volume[:s, j] = np.nan
    close[[400, 401], 2] = np.nan  # a market holiday for one instrument
    syms = [f"S{j}" for j in range(m)]
    ts = stamps(n)
    engine = SignalEngine(capacity=2)  # grows
    live = []
    for t in range(n):
        row = [
            Bar(syms[j], Interval.D1, ts[t], close[t, j], close[t, j], close[t, j], close[t, j], volume[t, j])
            for j in range(m)
            if not np.isnan(close[t, j])
        ]
        live.extend(engine.on_bars(row))
    batch = compute_history(close, volume).to_events(syms, ts)
    assert len(batch) > 100
    assert key_order(live) == key_order(batch)
    assert sorted(engine.symbols()) == syms


MA_TYPES = frozenset(list(SignalType)[:7])  # the moving-average, RSI and volume families


def test_event_contents() -> None:
    close, volume = walk(2_000, 21)
    res = compute_history(close, volume, SignalConfig(enabled=MA_TYPES))  # the others: test_bands/patterns
    events = res.to_events(["X"], stamps(2_000))
    seen = set()
    for e in events:
        t = (e.ts - T0).days
        seen.add(e.signal)
        assert e.close == close[t]
        assert e.values.get("sma_slow", np.nan) == res.sma_slow[t] or np.isnan(res.sma_slow[t])
        assert e.values["rsi"] == res.rsi[t]
        assert e.values["volume"] == volume[t]
        assert e.interval is Interval.D1
        if e.signal in (SignalType.BREAKOUT_200, SignalType.BREAKDOWN_200):
            assert e.strength == pytest.approx((close[t] / res.sma_slow[t] - 1) * 100)
            assert (e.strength > 0) == (e.signal is SignalType.BREAKOUT_200)
            prev_above = close[t - 1] > res.sma_slow[t - 1]
            assert prev_above == (e.signal is SignalType.BREAKDOWN_200)
        elif e.signal in (SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS):
            assert e.strength == pytest.approx((res.sma_fast[t] / res.sma_slow[t] - 1) * 100)
        elif e.signal is SignalType.RSI_OVERBOUGHT:
            assert e.strength == res.rsi[t] > 70.0 >= res.rsi[t - 1]
        elif e.signal is SignalType.RSI_OVERSOLD:
            assert e.strength == res.rsi[t] < 30.0 <= res.rsi[t - 1]
        else:
            base = np.mean(volume[t - 20 : t])
            assert e.values["vol_base"] == pytest.approx(base)
            assert e.strength == pytest.approx(volume[t] / base)
            assert e.strength >= 2.0
            assert volume[t - 1] < 2.0 * np.mean(volume[t - 21 : t - 1])  # a fresh transition
        assert not any(np.isnan(v) for v in e.values.values())
    assert seen == MA_TYPES
    # the masks agree with the events and strengths
    for s in MA_TYPES:
        assert int(res.events[s].sum()) == sum(e.signal is s for e in events)
        idx = np.flatnonzero(res.events[s])
        got = [e.strength for e in events if e.signal is s]
        np.testing.assert_array_equal(res.strength[s][idx], got)


def test_enabled_subset_only() -> None:
    close, volume = walk(2_000, 22)
    cfg = SignalConfig(enabled=frozenset({SignalType.GOLDEN_CROSS, SignalType.VOLUME_SPIKE}))
    events = compute_history(close, volume, cfg).to_events(["X"], stamps(2_000))
    assert {e.signal for e in events} == cfg.enabled
    engine = SignalEngine(cfg)
    assert feed_one_by_one(engine, bars("X", close, volume, stamps(2_000))) == events


def test_corrected_last_bar_equals_arriving_corrected() -> None:
    close, volume = walk(600, 23)
    ts = stamps(600)
    seq = bars("X", close, volume, ts)
    a, b = SignalEngine(), SignalEngine()
    ev_a, ev_b = [], []
    rng = np.random.default_rng(0)
    for bar in seq:
        wrong = replace(bar, close=bar.close * rng.uniform(0.8, 1.25), volume=bar.volume * 3 + 1)
        ev_a.extend(a.on_bar(wrong))
        ev_a.extend(a.on_bar(replace(wrong, close=wrong.close * 1.01)))  # corrected twice
        ev_a.extend(a.on_bar(bar))
        ev_b.extend(b.on_bar(bar))
        assert a.snapshot("X") == b.snapshot("X")
    for x, y in zip(current_state(a, "X"), current_state(b, "X"), strict=True):
        np.testing.assert_array_equal(x, y)
    # after all corrections the final bar's events agree; the wrong bars may have fired extra
    keys_b = {e.key for e in ev_b}
    assert keys_b <= {e.key for e in ev_a}
    assert len({e.key for e in ev_a}) == len(ev_a)  # never emitted twice


def test_correction_that_still_fires_is_not_emitted_twice() -> None:
    close = np.r_[np.full(30, 10.0), 10.0]
    volume = np.r_[np.full(30, 100.0), 500.0]
    engine = SignalEngine(SignalConfig(sma_slow=5, sma_fast=3, enabled=MA_TYPES))
    seq = bars("X", close, volume, stamps(31))
    assert feed_one_by_one(engine, seq[:-1]) == []
    first = engine.on_bar(seq[-1])
    assert [e.signal for e in first] == [SignalType.VOLUME_SPIKE]
    assert first[0].strength == 5.0
    again = engine.on_bar(replace(seq[-1], volume=700.0))  # corrected, still a spike
    assert again == []
    assert engine.snapshot("X")["volume"] == 700.0
    up = engine.on_bar(replace(seq[-1], close=22.0, volume=700.0))  # now also a breakout
    assert {e.signal for e in up} == {
        SignalType.BREAKOUT_200,
        SignalType.GOLDEN_CROSS,
        SignalType.RSI_OVERBOUGHT,
    }
    assert up[0].close == 11.0  # adjusted close (raw 22 x 0.5)
    assert engine.on_bar(replace(seq[-1], close=22.0, volume=700.0)) == []  # a re-fetch


def test_older_bar_is_ignored_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    close, volume = walk(300, 24)
    seq = bars("X", close, volume, stamps(300))
    engine = SignalEngine()
    feed_one_by_one(engine, seq)
    before = engine.snapshot("X")
    with caplog.at_level(logging.INFO, logger="signals.engine"):
        assert engine.on_bar(replace(seq[100], close=1.0)) == []
    assert engine.snapshot("X") == before
    assert "older than the last bar" in caplog.text
    assert "X" in caplog.text


def test_invalid_bars(caplog: pytest.LogCaptureFixture) -> None:
    engine = SignalEngine()
    good = Bar("A", Interval.D1, T0, 1.0, 1.0, 1.0, 10.0, 5.0)
    for bad in (
        replace(good, close=float("nan")),
        replace(good, close=0.0),
        replace(good, close=-1.0),
        replace(good, adj_factor=float("inf")),
        replace(good, volume=float("nan")),
        replace(good, volume=-1.0),
        replace(good, interval=Interval.M5),
        replace(good, ts=datetime(2000, 1, 3)),
    ):
        with pytest.raises(ValueError, match="rejected A bar"):
            engine.on_bar(bad)
    assert engine.symbols() == []  # nothing half-registered
    with caplog.at_level(logging.WARNING, logger="signals.engine"):
        out = engine.on_bars([replace(good, close=float("nan")), replace(good, symbol="B")])
    assert out == []
    assert engine.symbols() == ["B"]
    assert "skipped A bar" in caplog.text
    with pytest.raises(ValueError, match="at most one bar per symbol"):
        engine.on_bars([good, replace(good, ts=T0 + timedelta(days=1))])


def test_fewer_bars_than_warmup_gives_none() -> None:
    engine = SignalEngine(SignalConfig(enabled=MA_TYPES))
    assert SignalConfig().warmup == 201
    close, volume = walk(60, 25)
    events = feed_one_by_one(engine, bars("X", close, volume, stamps(60)))
    # SMA rules need sma_slow; RSI and volume rules are live after their own, shorter warm-up
    assert events
    assert {e.signal for e in events} <= {
        SignalType.RSI_OVERBOUGHT,
        SignalType.RSI_OVERSOLD,
        SignalType.VOLUME_SPIKE,
    }
    assert all("sma_slow" not in e.values for e in events)
    snap = engine.snapshot("X")
    assert snap["sma_slow"] is None
    assert snap["sma_fast"] is not None
    assert snap["rsi"] is not None
    assert snap["vol_avg"] is not None
    assert snap["close"] == close[-1]
    with pytest.raises(KeyError):
        engine.snapshot("NOPE")


def test_warmup_then_live_equals_batch_and_dedups_last_bar() -> None:
    close, volume = walk(1_500, 26)
    ts = stamps(1_500)
    seq = bars("X", close, volume, ts)
    batch = compute_history(close, volume).to_events(["X"], ts)
    engine = SignalEngine()
    engine.on_bar(seq[5])  # stale state is replaced by warm_up
    engine.warm_up("X", list(reversed(seq[:1_000])))  # any order
    assert engine.bars_seen("X") == 1_000
    assert engine.on_bar(seq[999]) == []  # re-fetch of the last stored bar: already counted
    live = feed_one_by_one(engine, seq[1_000:])
    assert live == [e for e in batch if e.ts >= ts[1_000]]


def test_dump_load_round_trip_resumes_identically() -> None:
    n = 900
    syms = ["A", "B", "C"]
    data = {s: walk(n, 30 + k) for k, s in enumerate(syms)}
    ts = stamps(n)
    engine = SignalEngine(SignalConfig(volume_multiple=1.5), Interval.D1)
    for t in range(600):
        engine.on_bars([bars(s, data[s][0][t : t + 1], data[s][1][t : t + 1], [ts[t]])[0] for s in syms])
    blob = engine.dump_state()
    restored = SignalEngine.load_state(blob)
    assert restored.config == engine.config
    assert restored.symbols() == syms
    assert restored.dump_state() == blob
    # a restart re-fetching the last bar emits nothing again
    last = [bars(s, data[s][0][599:600], data[s][1][599:600], [ts[599]])[0] for s in syms]
    assert restored.on_bars(last) == engine.on_bars(last) == []
    for t in range(600, n):
        row = [bars(s, data[s][0][t : t + 1], data[s][1][t : t + 1], [ts[t]])[0] for s in syms]
        assert restored.on_bars(row) == engine.on_bars(row)
        assert restored.snapshot("B") == engine.snapshot("B")


def test_load_state_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a saved engine state"):
        SignalEngine.load_state(b"not a state")


def test_minute_bars_work_the_same() -> None:
    close, volume = walk(700, 27)
    ts = stamps(700, timedelta(minutes=5))
    engine = SignalEngine(interval=Interval.M5)
    live = feed_one_by_one(engine, bars("X", close, volume, ts, Interval.M5))
    batch = compute_history(close, volume).to_events(["X"], ts, interval=Interval.M5)
    assert live == batch
    assert live
    assert all(e.interval is Interval.M5 for e in live)


def test_on_arrays_statuses() -> None:
    engine = SignalEngine()
    i = engine.slot("X")
    res = engine.on_arrays(
        np.array([i, i, i, i]),
        np.array([10, 10, 5, 11]),
        np.array([1.0, 2.0, 3.0, np.nan]),
        np.array([1.0, 1.0, 1.0, 1.0]),
    )
    assert res.status.tolist() == [0, 1, 2, 3]
    assert engine.bars_seen("X") == 1
    assert engine.snapshot("X")["close"] == 2.0
    with pytest.raises(ValueError, match="slots"):
        engine.on_arrays(np.array([5]), np.array([1]), np.array([1.0]), np.array([1.0]))
    # a bad slot anywhere in the batch: nothing of the batch is applied
    y = engine.slot("Y")
    for bad in (-1, 2, 1 << 40):
        with pytest.raises(ValueError, match=f"got {bad} in row 1"):
            engine.on_arrays(
                np.array([y, bad]), np.array([20, 20]), np.array([4.0, 4.0]), np.array([1.0, 1.0])
            )
    assert engine.bars_seen("Y") == 0
    assert engine.snapshot("X")["close"] == 2.0
