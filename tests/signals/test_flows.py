"""The investor-flow rules: foreign_buy_streak and smart_money_buy, batch and live alike."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from core.types import Interval, InvestorFlow, SignalType
from signals.config import SignalConfig, SignalConfigError
from signals.flows import flow_events, flow_history

NAN = float("nan")
STREAK, SMART = SignalType.FOREIGN_BUY_STREAK, SignalType.SMART_MONEY_BUY


def _flows(foreign: list[float], inst: list[float]) -> list[InvestorFlow]:
    d0 = date(2026, 11, 2)
    return [
        InvestorFlow("005930", d0 + timedelta(days=k), 70_000.0 + k, 0, f / 1e4, i / 1e4, -f - i, f, i)
        for k, (f, i) in enumerate(zip(foreign, inst, strict=True))
    ]


def test_streak_fires_once_when_the_run_reaches_n() -> None:
    f = np.array([5, 1, 2, 3, 4, 5, 6, -1, 1, 2, 3])
    masks = flow_history(f, np.zeros_like(f), streak_days=3)
    assert np.flatnonzero(masks[STREAK]).tolist() == [2, 10]  # rows 2 (5,1,2) and 10 (1,2,3)


def test_a_missing_session_breaks_the_run_and_is_never_both_buying() -> None:
    f = np.array([1.0, 1.0, NAN, 1.0, 1.0, 1.0])
    i = np.array([-1.0, 1.0, 1.0, 1.0, 1.0, -1.0])
    masks = flow_history(f, i, streak_days=3)
    assert np.flatnonzero(masks[STREAK]).tolist() == [5]
    # row 1: both buy after a day when institutions sold -> fires; row 3: the day before is unknown -> no
    assert np.flatnonzero(masks[SMART]).tolist() == [1]


def test_smart_money_needs_both_groups_and_a_fresh_transition() -> None:
    f = np.array([[1, 1], [1, 1], [1, -1], [1, 1], [0, 1]], dtype=float)
    i = np.array([[-1, 1], [1, 1], [1, 1], [1, 1], [1, 1]], dtype=float)
    masks = flow_history(f, i, streak_days=2)
    assert masks[SMART][:, 0].tolist() == [False, True, False, False, False]
    assert masks[SMART][:, 1].tolist() == [False, False, False, True, False]
    assert masks[STREAK][:, 0].tolist() == [False, True, False, False, False]


def test_live_events_equal_the_batch_rule_on_the_last_session() -> None:
    rng = np.random.default_rng(7)
    foreign = rng.normal(1e9, 3e9, 60).round().tolist()
    inst = rng.normal(0, 3e9, 60).round().tolist()
    rows = _flows(foreign, inst)
    masks = flow_history(np.array(foreign), np.array(inst), streak_days=4)
    for k in range(1, len(rows) + 1):
        got = {e.signal for e in flow_events(rows[:k], streak_days=4)}
        want = {s for s in (STREAK, SMART) if masks[s][k - 1]}
        assert got == want, k
    assert masks[STREAK].any()
    assert masks[SMART].any()


def test_live_event_carries_the_figures_people_read() -> None:
    rows = _flows([2e9, 3e9, 4e9], [1e9, -1e9, 5e8])
    (streak, smart) = flow_events(rows, streak_days=3)
    assert (streak.signal, smart.signal) == (STREAK, SMART)
    assert streak.interval is Interval.D1
    assert streak.ts.date() == rows[-1].day
    assert streak.strength == 3
    assert streak.values["streak"] == 3
    assert smart.strength == 4.5e9
    assert smart.close == 70_002.0
    only = flow_events(rows, streak_days=3, enabled=frozenset({SMART}))
    assert [e.signal for e in only] == [SMART]
    assert flow_events([], streak_days=3) == []


def test_streak_setting_is_validated() -> None:
    with pytest.raises(SignalConfigError, match="foreign_streak_days"):
        SignalConfig(foreign_streak_days=1)
