"""Edge cases: zero volume, ties, gaps, chunked batch input, validation messages."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

import signals.history
from core.types import PRICE_SIGNALS, Bar, Interval, SignalType
from signals import HistoryResult, SignalConfig, SignalEngine, compute_history
from tests.signals.helpers import T0, bars, current_state, key_order, stamps, walk

SMALL = SignalConfig(sma_fast=2, sma_slow=4, rsi_period=3, volume_window=3, volume_multiple=2.0)


def test_zero_volume_average_is_exactly_zero_and_never_spikes() -> None:
    volume = np.r_[[1e9, 3e8, 7e8], np.zeros(10), [5.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
    close = np.linspace(10.0, 12.0, volume.size)
    res = compute_history(close, volume, SMALL)
    assert np.all(res.vol_avg[5:13] == 0.0)  # exact zero after a window of zeros, no drift residue
    assert not res.events[SignalType.VOLUME_SPIKE].any()  # 5.0 after a zero baseline: no multiple
    assert res.vol_avg[13] == pytest.approx(5.0 / 3)


def test_spike_fires_on_the_transition_only() -> None:
    volume = np.array([100.0, 100, 100, 100, 100, 300, 900, 100, 100, 100, 100, 400])
    close = np.full(volume.size, 10.0)
    res = compute_history(close, volume, SMALL)
    spikes = np.flatnonzero(res.events[SignalType.VOLUME_SPIKE]).tolist()
    # bar 5: 300 >= 2 x 100 (fires); bar 6: 900 >= 2 x 166.7 but bar 5 was a spike (no);
    # bar 11: 400 >= 2 x 100 after calm bars (fires)
    assert spikes == [5, 11]
    assert res.strength[SignalType.VOLUME_SPIKE][5] == 3.0
    assert res.vol_base[5] == 100.0


def test_exact_ties_with_the_sma() -> None:
    """close == SMA is neither above nor below: a breakout needs a bar strictly above."""
    cfg = replace(SMALL, enabled=frozenset({SignalType.BREAKOUT_200, SignalType.BREAKDOWN_200}))
    # SMA(4) of [8, 8, 8, 8] is 8; then 8 again (tie), then 9 (above), 9 (stays), 4 (below)
    close = np.array([8.0, 8, 8, 8, 8, 9, 9, 4])
    res = compute_history(close, np.ones(close.size), cfg)
    assert np.flatnonzero(res.events[SignalType.BREAKOUT_200]).tolist() == [5]
    assert np.flatnonzero(res.events[SignalType.BREAKDOWN_200]).tolist() == [7]
    engine = SignalEngine(cfg)
    live = [e for b in bars("X", close, np.ones(close.size), stamps(close.size)) for e in engine.on_bar(b)]
    assert [(e.signal, (e.ts - T0).days) for e in live] == [
        (SignalType.BREAKOUT_200, 5), (SignalType.BREAKDOWN_200, 7)]  # fmt: skip


def test_time_gaps_do_not_matter() -> None:
    """Bars are counted, not days: weekends, holidays and halts are just consecutive bars."""
    close, volume = walk(800, 40)
    rng = np.random.default_rng(1)
    ts = [T0]
    for gap in rng.integers(1, 9, 799).tolist():
        ts.append(ts[-1] + timedelta(days=gap))
    engine = SignalEngine()
    live = [e for b in bars("X", close, volume, ts) for e in engine.on_bar(b)]
    assert live == compute_history(close, volume).to_events(["X"], ts)
    assert live


def test_chunked_and_fortran_inputs_give_identical_results(monkeypatch: pytest.MonkeyPatch) -> None:
    cols = [walk(600, 50 + j) for j in range(7)]
    close = np.column_stack([c for c, _ in cols])
    volume = np.column_stack([v for _, v in cols])
    close[:100, 3] = np.nan
    whole = compute_history(close, volume)
    monkeypatch.setattr(signals.history, "_CHUNK_CELLS", 1_000)  # one column per chunk
    chunked = compute_history(close, volume)
    fortran = compute_history(np.asfortranarray(close), np.asfortranarray(volume))
    for other in (chunked, fortran):
        for name in ("sma_fast", "sma_slow", "rsi", "vol_avg", "bits"):
            np.testing.assert_array_equal(getattr(whole, name), getattr(other, name))


def test_invalid_history_names_the_first_bad_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    close, volume = walk(50, 1)
    c = np.column_stack([close] * 5)
    v = np.column_stack([volume] * 5)
    c[20, 3] = -1.0
    monkeypatch.setattr(signals.history, "_CHUNK_CELLS", 100)
    with pytest.raises(ValueError, match=r"row 20, column 3: close=-1\.0"):
        compute_history(c, v)
    v[7, 4] = np.inf
    c[20, 3] = 1.0
    with pytest.raises(ValueError, match="row 7, column 4"):
        compute_history(c, v)
    with pytest.raises(ValueError, match="shape"):
        compute_history(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="1-D"):
        compute_history(np.ones((2, 2, 2)), np.ones((2, 2, 2)))


def test_to_events_checks_its_arguments() -> None:
    close, volume = walk(300, 2)
    res = compute_history(np.column_stack([close, close]), np.column_stack([volume, volume]))
    with pytest.raises(ValueError, match="2 instrument columns"):
        res.to_events(["A"], stamps(300))
    with pytest.raises(ValueError, match="timestamps"):
        res.to_events(["A", "B"], stamps(299))
    with pytest.raises(ValueError, match="naive"):
        res.to_events(["A", "B"], [datetime(2000, 1, 1) + timedelta(days=i) for i in range(300)])
    naive_utc = np.array([t.replace(tzinfo=None) for t in stamps(300)], dtype="datetime64[ns]")
    as_np = res.to_events(["A", "B"], naive_utc)  # numpy datetime64 is read as UTC
    assert as_np == res.to_events(["A", "B"], stamps(300))
    assert all(e.ts.tzinfo is UTC for e in as_np)


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="sma_fast"):
        SignalConfig(sma_fast=0)
    with pytest.raises(ValueError, match=r"sma_slow must be an integer in 1\.\.16383"):
        SignalConfig(sma_slow=16_384)
    with pytest.raises(ValueError, match="rsi_oversold < rsi_overbought"):
        SignalConfig(rsi_oversold=80.0)
    with pytest.raises(ValueError, match="volume_multiple"):
        SignalConfig(volume_multiple=0.0)
    with pytest.raises(ValueError, match="enabled"):
        SignalConfig(enabled=frozenset({"golden_cross"}))  # type: ignore[arg-type]
    assert SignalConfig(sma_slow=10, sma_fast=5, rsi_period=30, volume_window=5).warmup == 32


def test_warm_up_skips_bad_and_foreign_bars(caplog: pytest.LogCaptureFixture) -> None:
    close, volume = walk(300, 3)
    seq = bars("X", close, volume, stamps(300))
    noisy = [*seq[:100], replace(seq[100], close=float("nan")), replace(seq[101], symbol="Y"), *seq[102:]]
    engine = SignalEngine()
    with caplog.at_level(logging.WARNING, logger="signals.engine"):
        engine.warm_up("X", noisy)
    assert engine.bars_seen("X") == 298
    assert "warm-up of X: 1 held out (1 invalid)" in caplog.text  # the bad-bar rule of core.quality
    assert "symbol is not X" in caplog.text
    assert engine.symbols() == ["X"]


def test_engine_rejects_duplicates_and_naive_timestamps() -> None:
    engine = SignalEngine(interval=Interval.M1)
    bar = Bar("A", Interval.M1, T0, 1.0, 1.0, 1.0, 1.0, 1.0)
    assert engine.on_bar(bar) == []
    with pytest.raises(ValueError, match="naive"):
        engine.on_bar(replace(bar, ts=datetime(2001, 1, 1)))
    with pytest.raises(ValueError, match="interval"):
        engine.on_bar(replace(bar, interval=Interval.D1))


def test_threads_give_identical_results_and_name_the_first_bad_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    cols = [walk(400, 90 + j) for j in range(9)]
    close = np.column_stack([c for c, _ in cols])
    volume = np.column_stack([v for _, v in cols])
    close[:50, 6] = np.nan
    one = compute_history(close, volume, threads=1)
    monkeypatch.setattr(signals.history, "_CHUNK_CELLS", 800)  # two columns per chunk in each thread
    for threads in (2, 3, 64):
        for c, v in ((close, volume), (np.asfortranarray(close), np.asfortranarray(volume))):
            many = compute_history(c, v, threads=threads)
            for name in ("sma_fast", "sma_slow", "rsi", "vol_avg", "bits"):
                np.testing.assert_array_equal(getattr(one, name), getattr(many, name))
            for sig in PRICE_SIGNALS:
                np.testing.assert_array_equal(one.events[sig], many.events[sig])
    bad_c = close.copy()
    bad_c[300, 7] = 0.0  # in the last thread's block
    bad_c[350, 5] = np.nan
    volume2 = volume.copy()
    volume2[10, 8] = -1.0
    with pytest.raises(ValueError, match="row 300, column 7"):
        compute_history(bad_c, volume2, threads=3)
    volume2[10, 8] = 1.0
    bad_c[399, 1] = -2.0  # an earlier column wins over a later one, as without threads
    with pytest.raises(ValueError, match="row 399, column 1"):
        compute_history(bad_c, volume2, threads=3)


def test_large_outputs_are_ordinary_writable_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    import signals._memory

    monkeypatch.setattr(signals._memory, "_MIN_BYTES", 1)  # every output in its own mapping
    close, volume = walk(300, 5)
    res = compute_history(np.column_stack([close, close]), np.column_stack([volume, volume]))
    ref = compute_history(close, volume)
    np.testing.assert_array_equal(res.rsi[:, 1], ref.rsi)
    np.testing.assert_array_equal(
        res.events[SignalType.RSI_OVERBOUGHT][:, 0], ref.events[SignalType.RSI_OVERBOUGHT]
    )
    assert res.sma_slow.flags.f_contiguous
    assert res.sma_slow.flags.writeable
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(res.sma_slow)), res.sma_slow)


def test_result_memory_is_reused_only_once_no_array_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import signals._memory as memory

    def floats(res: HistoryResult) -> set[int]:
        return {a.__array_interface__["data"][0] for a in (res.sma_fast, res.sma_slow, res.rsi, res.vol_avg)}

    monkeypatch.setattr(memory, "_MIN_BYTES", 1)  # every output in its own mapping
    monkeypatch.setattr(memory, "_pool", [])
    monkeypatch.setattr(memory, "_returned", deque())
    close, volume = walk(400, 6)
    first = compute_history(close, volume)
    seen = floats(first)
    rsi = first.rsi  # keeps the RSI's mapping in use
    expected = rsi.copy()
    address = rsi.__array_interface__["data"][0]
    del first
    gc.collect()
    assert memory.pooled_bytes() > 0  # the other outputs' mappings are free again
    other_close, other_volume = walk(400, 7)
    second = compute_history(other_close, other_volume)  # reuses the free mappings of the same size
    assert address not in floats(second)
    assert len(floats(second) & seen) == 3
    np.testing.assert_array_equal(rsi, expected)  # not overwritten by the second result
    reference = compute_history(other_close, other_volume, threads=1)
    np.testing.assert_array_equal(second.rsi, reference.rsi)
    seen |= floats(second) | floats(reference)
    del rsi, second, reference
    gc.collect()
    third = compute_history(close, volume)
    assert floats(third) <= seen  # no new mapping: all four recycled
    np.testing.assert_array_equal(third.rsi, expected)


def test_memory_pool_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import signals._memory as memory

    monkeypatch.setattr(memory, "_MIN_BYTES", 1)
    monkeypatch.setattr(memory, "_pool", [])
    monkeypatch.setattr(memory, "_returned", deque())
    monkeypatch.setattr(memory, "POOL_BYTES", 3 * 400 * 8)  # three float columns of 400 bars
    close, volume = walk(400, 8)
    results = [compute_history(close, volume) for _ in range(3)]
    del results
    gc.collect()
    assert 0 < memory.pooled_bytes() <= 3 * 400 * 8


def test_warm_up_aligns_ring_rows_and_keeps_results() -> None:
    """Instruments warmed up with different history lengths write the same ring row next (the
    live update then touches neighbouring memory); the values are those of the batch path."""
    n = 700
    close, volume = walk(n, 5)
    ts = stamps(n)
    engine = SignalEngine()
    lengths = {"A": 450, "B": 613, "C": 300}
    for sym, k in lengths.items():
        engine.warm_up(sym, bars(sym, close[n - k : n - 1], volume[n - k : n - 1], ts[n - k : n - 1]))
    rows = {sym: engine.slot(sym) for sym in lengths}
    st = engine._st  # type: ignore[attr-defined]
    assert len({int(st[0, i]["pos"]) for i in rows.values()}) == 1
    assert len({int(st[0, i]["vpos"]) for i in rows.values()}) == 1
    last = {sym: bars(sym, close[n - 1 :], volume[n - 1 :], ts[n - 1 :])[0] for sym in lengths}
    engine.on_bars(list(last.values()))
    for sym, k in lengths.items():
        ref = compute_history(close[n - k :], volume[n - k :])
        snap = engine.snapshot(sym)
        assert snap["sma_slow"] == ref.sma_slow[-1]
        assert snap["rsi"] == ref.rsi[-1]
        assert snap["vol_avg"] == ref.vol_avg[-1]


def _ring_rows(engine: SignalEngine, symbols: list[str]) -> set[tuple[int, int]]:
    st = engine._st  # type: ignore[attr-defined]
    return {(int(st[0, engine.slot(s)]["pos"]), int(st[0, engine.slot(s)]["vpos"])) for s in symbols}


def test_first_bars_join_the_ring_rows_of_the_row_before_and_keep_results() -> None:
    """Instruments fed bar by bar from different first bars (new listings, symbols watched later
    without stored bars) write the ring rows of the row applied before them, so a round touches
    neighbouring memory; each one's values are still those of its own batch history."""
    n = 500
    close, volume = walk(n, 11)
    ts = stamps(n)
    starts = {"A": 0, "B": 7, "C": 230, "D": 499}
    engine = SignalEngine()
    for t in range(n):
        engine.on_bars([bars(s, close[t : t + 1], volume[t : t + 1], ts[t : t + 1])[0]
                        for s, first in starts.items() if t >= first])  # fmt: skip
    assert len(_ring_rows(engine, list(starts))) == 1
    for s, first in starts.items():
        ref = compute_history(close[first:], volume[first:])
        snap = engine.snapshot(s)
        for name in ("sma_fast", "sma_slow", "rsi", "vol_avg"):
            want = getattr(ref, name)[-1]
            assert snap[name] == (None if np.isnan(want) else want), (s, name)


def test_a_corrected_first_bar_keeps_the_ring_rows_it_joined() -> None:
    close, volume = walk(40, 12)
    ts = stamps(40)
    a = bars("A", close, volume, ts)
    first = bars("B", close[30:31] * 1.1, volume[30:31], ts[30:31])[0]
    fixed = replace(first, close=first.close * 0.9)

    def fed(*rounds: list[Bar]) -> SignalEngine:
        engine = SignalEngine(SMALL)
        for bar in a[:30]:
            engine.on_bar(bar)
        for r in rounds:
            engine.on_bars(r)
        return engine

    corrected = fed([a[30], first], [fixed])  # the correction arrives alone, no row before it
    direct = fed([a[30], fixed])
    assert len(_ring_rows(corrected, ["A", "B"])) == 1
    for x, y in zip(current_state(corrected, "B"), current_state(direct, "B"), strict=True):
        np.testing.assert_array_equal(x, y)


def test_warm_up_joins_the_ring_rows_of_its_neighbour() -> None:
    """A symbol warmed up while its neighbour row has been running writes the neighbour's ring
    rows from the next round on."""
    n = 400
    close, volume = walk(n, 13)
    ts = stamps(n)
    engine = SignalEngine()
    engine.warm_up("A", bars("A", close[:300], volume[:300], ts[:300]))
    for t in range(300, 317):  # A runs on: its ring rows move
        engine.on_bars(bars("A", close[t : t + 1], volume[t : t + 1], ts[t : t + 1]))
    engine.warm_up("B", bars("B", close[100:317], volume[100:317], ts[100:317]))
    assert len(_ring_rows(engine, ["A", "B"])) == 1
    engine.on_bars(bars("A", close[317:318], volume[317:318], ts[317:318])
                   + bars("B", close[317:318], volume[317:318], ts[317:318]))  # fmt: skip
    assert len(_ring_rows(engine, ["A", "B"])) == 1
    assert engine.snapshot("B")["sma_slow"] == compute_history(close[100:318], volume[100:318]).sma_slow[-1]


def test_engine_state_grows_and_restores() -> None:
    """Growing re-allocates the state arrays, keeps every row, and gives the same events as the
    batch path, also across a dump and load half-way."""
    n, m = 320, 40
    cols = [walk(n, 300 + j) for j in range(m)]
    close = np.column_stack([c for c, _ in cols])
    volume = np.column_stack([v for _, v in cols])
    syms = [f"S{j}" for j in range(m)]
    ts = stamps(n)
    engine = SignalEngine(capacity=1)  # grows 1, 2, 4, ... 64
    live = []
    for t in range(n):
        row = zip(syms, close[t].tolist(), volume[t].tolist(), strict=True)
        live.extend(engine.on_bars([Bar(s, Interval.D1, ts[t], c, c, c, c, v) for s, c, v in row]))
        if t == n // 2:
            engine = SignalEngine.load_state(engine.dump_state())
    assert engine._last_ts.shape[0] >= m
    batch = compute_history(close, volume).to_events(syms, ts)
    assert len(batch) > 50
    assert key_order(live) == key_order(batch)
