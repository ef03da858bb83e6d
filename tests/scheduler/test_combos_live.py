"""Confirmed combinations fired live by the pipeline: the study decides which, the tracker's memory
survives a restart, events are stored as combo:A+B and read back with their pair."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from core.combostudy import STATE_KEY, ComboRating, ComboStudy
from core.ports import Repositories
from core.types import Bar, SignalType
from scheduler import SignalPipeline
from scheduler.engines import engine_factory
from signals import SignalConfig, SignalEngine, compute_history
from signals.combo_engine import ComboEngine
from signals.combos import Combo, combo_mask
from tests.scheduler.fakes import RecordingNotifier, crossing_closes, daily_bars

NAME = "combo:breakout_200+volume_spike"


def _bars() -> tuple[list[Bar], list[Bar]]:
    """History drifting below SMA200; then a volume spike, a quiet bar, a breakout (2 bars apart)."""
    closes, _ = crossing_closes()
    bars = daily_bars("AAA", [*closes, 87.0, 86.9, 140.0])
    bars[-3] = replace(bars[-3], volume=5000.0)
    return bars[:-3], bars[-3:]


async def _confirm(repos: Repositories, *names: str) -> None:
    rated = tuple(ComboRating(n, 20, 41, 0.012, 0.003, 57) for n in names)
    study = ComboStudy(
        tried=84, window=5, symbols=30, finished=datetime(2026, 12, 1, tzinfo=UTC), confirmed=rated
    )
    await repos.state.put_state(STATE_KEY, study.to_bytes())


async def test_confirmed_combination_fires_on_the_completing_bar_across_a_restart(
    sqlite_repos: Repositories,
) -> None:
    history, new = _bars()
    await sqlite_repos.bars.upsert_bars(history)
    await _confirm(sqlite_repos, NAME)
    pipe = SignalPipeline(sqlite_repos, RecordingNotifier(sqlite_repos), engine_factory())
    await pipe.warm(["AAA"])
    first = await pipe.process({"AAA": new[:2]})  # the spike, then a quiet bar
    assert SignalType.VOLUME_SPIKE in {e.signal for e in first.new_events}
    assert not [e for e in first.new_events if e.pair is not None]
    # restart: a new pipeline (a new engine) from the saved state remembers the spike
    notifier = RecordingNotifier(sqlite_repos)
    again = SignalPipeline(sqlite_repos, notifier, engine_factory())
    await again.warm(["AAA"])
    res = await again.process({"AAA": new[2:]})
    combos = [e for e in res.new_events if e.pair is not None]
    assert [(e.name, e.ts, e.values["bars_apart"]) for e in combos] == [(NAME, new[2].ts, 2.0)]
    assert combos[0].direction == 1
    assert combos[0] in notifier.published
    stored = await sqlite_repos.events.list_events("AAA", since=new[2].ts)
    back = [e for e in stored if e.pair is not None]
    assert [(e.signal, e.pair, e.name) for e in back] == [
        (SignalType.BREAKOUT_200, SignalType.VOLUME_SPIKE, NAME)
    ]


async def test_unconfirmed_combination_never_fires(sqlite_repos: Repositories) -> None:
    history, new = _bars()
    await sqlite_repos.bars.upsert_bars(history)
    await _confirm(sqlite_repos, "combo:golden_cross+volume_spike")  # another one confirmed
    pipe = SignalPipeline(sqlite_repos, RecordingNotifier(sqlite_repos), engine_factory())
    await pipe.warm(["AAA"])
    res = await pipe.process({"AAA": new})
    assert SignalType.BREAKOUT_200 in {e.signal for e in res.new_events}
    assert [e for e in res.new_events if e.pair is not None] == []


def test_live_combinations_equal_the_batch_rule_on_a_long_noisy_history() -> None:
    rng = np.random.default_rng(7)
    closes = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.02, 1500)))
    vols = rng.lognormal(7, 0.6, len(closes))
    bars = [
        replace(b, volume=float(v)) for b, v in zip(daily_bars("ZZZ", closes.tolist()), vols, strict=True)
    ]
    config = SignalConfig()
    masks = compute_history(closes, vols, config).events
    pairs = [Combo.of(SignalType.RSI_OVERSOLD, SignalType.VOLUME_SPIKE),
             Combo.of(SignalType.RSI_OVERBOUGHT, SignalType.VOLUME_SPIKE),
             Combo.of(SignalType.BREAKOUT_200, SignalType.RSI_OVERSOLD)]  # fmt: skip
    engine = ComboEngine(SignalEngine(config))
    engine.set_combos([c.name for c in pairs])
    warm = 250
    engine.warm_up("ZZZ", bars[:warm])
    live: dict[str, list[int]] = {c.name: [] for c in pairs}
    for i, b in enumerate(bars[warm:], start=warm):
        for e in engine.on_bars([b]):
            if e.pair is not None:
                live[e.name].append(i)
    for c in pairs:
        a, b2 = masks[c.first].copy(), masks[c.second].copy()
        a[:warm], b2[:warm] = False, False  # the tracker starts at the warm-up, like the engine's
        want = np.flatnonzero(combo_mask(a, b2, 5)).tolist()
        assert live[c.name] == want
        assert want, f"{c.name} never fired: the history does not test it"
