"""The live path applies the one bad-bar rule (issue 27): bars fed one by one through `on_bar`/`on_bars`
give what the batch path (the rule over the whole history, indicators restarted after long gaps) gives."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import numpy as np

from core.quality import clean_bars
from core.types import Bar, SignalEvent
from signals import SignalEngine, compute_history
from tests.signals.helpers import bars, stamps, walk

SLIP, GAP = 300, 450  # bar 300 is x100 (a units slip); 120 days are missing before bar 450


def history() -> list[Bar]:
    close, volume = walk(700, 27, vol=0.015)
    ts = stamps(700)
    ts = [t if k < GAP else t + timedelta(days=120) for k, t in enumerate(ts)]
    raw = bars("SPY", close, volume, ts)
    b = raw[SLIP]
    raw[SLIP] = replace(b, open=b.open * 100, high=b.high * 100, low=b.low * 100, close=b.close * 100)
    return raw


def batch(raw: list[Bar]) -> tuple[list[SignalEvent], float]:
    """The batch path: the rule over the whole history, indicators restarted after each long gap."""
    cleaned = clean_bars(raw)
    cuts = [0, *cleaned.gap_rows, len(cleaned.bars)]
    events: list[SignalEvent] = []
    sma_slow = float("nan")
    for a, b in itertools.pairwise(cuts):
        seg = cleaned.bars[a:b]
        close = np.array([x.close * x.adj_factor for x in seg])
        volume = np.array([x.volume for x in seg])
        res = compute_history(close, volume)
        events += res.to_events(["SPY"], [x.ts for x in seg])
        sma_slow = float(res.sma_slow[-1])
    return events, sma_slow


def test_live_equals_batch_with_a_x100_bar_and_a_long_gap() -> None:
    raw = history()
    want, sma_slow = batch(raw)
    engine = SignalEngine()
    live = [e for bar in raw for e in engine.on_bar(bar)]
    assert live == want
    assert engine.snapshot("SPY")["sma_slow"] == sma_slow  # bit-identical after the restart
    assert engine.quality.repaired == 1
    assert engine.quality.gaps == 1


def test_a_x100_bar_is_divided_back_live() -> None:
    raw = history()[: SLIP + 1]
    engine = SignalEngine()
    for bar in raw:
        engine.on_bar(bar)
    assert engine.snapshot("SPY")["close"] == raw[SLIP].close * raw[SLIP].adj_factor / 100
    assert engine.quality.repaired == 1
    assert "repaired" in engine.quality.details[-1]


def test_an_extreme_move_is_held_out_of_the_indicators_live() -> None:
    raw = history()[:SLIP]
    last = raw[-1]
    spike = replace(last, ts=last.ts + timedelta(days=1), close=last.close * 7)  # x7: no units slip
    engine = SignalEngine()
    for bar in raw:
        engine.on_bar(bar)
    before = engine.snapshot("SPY")
    assert engine.on_bar(spike) == []
    assert engine.snapshot("SPY") == before
    assert engine.bars_seen("SPY") == len(raw)
    assert engine.quality.held_out == 1
    # the next ordinary bar goes on from the last good one
    engine.on_bar(replace(last, ts=last.ts + timedelta(days=2)))
    assert engine.bars_seen("SPY") == len(raw) + 1


def test_a_bar_after_a_long_gap_restarts_the_warm_up_live() -> None:
    raw = [b for k, b in enumerate(history()) if k != SLIP]
    engine = SignalEngine()
    for bar in raw[: GAP - 1]:
        engine.on_bar(bar)
    assert engine.snapshot("SPY")["sma_slow"] is not None
    engine.on_bar(raw[GAP - 1])  # the first bar after the gap
    assert engine.bars_seen("SPY") == 1
    assert engine.snapshot("SPY")["sma_slow"] is None  # warming up again, as warm_up does
    assert engine.quality.gaps == 1


def test_on_bars_applies_the_same_rule_as_on_bar() -> None:
    raw = history()
    one, many = SignalEngine(), SignalEngine()
    got_one = [e for bar in raw for e in one.on_bar(bar)]
    other = [replace(b, symbol="QQQ") for b in raw]
    got_many: list[SignalEvent] = []
    for a, b in zip(raw, other, strict=True):
        got_many += [e for e in many.on_bars([a, b]) if e.symbol == "SPY"]
    assert got_many == got_one
    assert many.quality.repaired == 2
    assert many.quality.gaps == 2
