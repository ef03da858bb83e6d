"""Investor-flow signals of KRX stocks (issue 21): pure rules over daily net buying, batch and live.

- `foreign_buy_streak`: foreigners net buyers (foreign net value > 0) `foreign_streak_days` sessions
  in a row; fires on the session the run reaches that length (once per run).
- `smart_money_buy`: foreigners and institutions both net buyers on a session, and not both on the
  session before (a fresh transition, like every other rule).

A session without flow data (NaN) breaks a run and is never "both buying": a rule never fires on a
guess. The batch path (`flow_history`) and the live path (`flow_events`) share the same arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.types import FLOW_SIGNALS, Interval, InvestorFlow, SignalEvent, SignalType

Arr = NDArray[Any]


def flow_history(foreign: Arr, institution: Arr, *, streak_days: int) -> dict[SignalType, Arr]:
    """Boolean masks of both rules over (n_days,) or (n_days, n_stocks) net-buying arrays (NaN: no data)."""
    f = np.asarray(foreign, dtype=np.float64)
    i = np.asarray(institution, dtype=np.float64)
    if f.shape != i.shape:
        raise ValueError(f"foreign {f.shape} and institution {i.shape} net buying differ in shape")
    buying = f > 0  # NaN compares False
    run = np.zeros(f.shape, dtype=np.int64)
    if f.shape[0]:
        run[0] = buying[0]
        for row in range(1, f.shape[0]):
            run[row] = np.where(buying[row], run[row - 1] + 1, 0)
    both = buying & (i > 0)
    known = ~(np.isnan(f) | np.isnan(i))
    prev_both = np.zeros(f.shape, dtype=np.bool_)
    prev_known = np.zeros(f.shape, dtype=np.bool_)
    prev_both[1:], prev_known[1:] = both[:-1], known[:-1]
    return {
        SignalType.FOREIGN_BUY_STREAK: run == streak_days,
        SignalType.SMART_MONEY_BUY: both & prev_known & ~prev_both,
    }


def streak_lengths(foreign: Arr) -> Arr:
    """Sessions in a row, up to each one, with foreign net buying (0 where not buying)."""
    f = np.asarray(foreign, dtype=np.float64)
    run = np.zeros(f.shape, dtype=np.int64)
    for row in range(f.shape[0]):
        run[row] = np.where(f[row] > 0, (run[row - 1] if row else 0) + 1, 0)
    return run


def flow_events(
    flows: Sequence[InvestorFlow],
    *,
    streak_days: int,
    enabled: frozenset[SignalType] = frozenset(FLOW_SIGNALS),
) -> list[SignalEvent]:
    """The flow signals of the latest session in `flows` (one stock's sessions, oldest first)."""
    if not flows:
        return []
    rows = sorted(flows, key=lambda fl: fl.day)
    foreign = np.array([fl.foreign_value for fl in rows], dtype=np.float64)
    inst = np.array([fl.institution_value for fl in rows], dtype=np.float64)
    masks = flow_history(foreign, inst, streak_days=streak_days)
    last = rows[-1]
    ts = datetime.combine(last.day, time(0), tzinfo=UTC)
    run = int(streak_lengths(foreign)[-1])
    values = {
        "foreign_value": float(last.foreign_value),
        "institution_value": float(last.institution_value),
        "individual_value": float(last.individual_value),
        "foreign_qty": float(last.foreign_qty),
        "institution_qty": float(last.institution_qty),
        "streak": float(run),
    }
    close = float(last.close) if last.close is not None and math.isfinite(last.close) else 0.0
    out: list[SignalEvent] = []
    for signal in FLOW_SIGNALS:
        if signal in enabled and bool(masks[signal][-1]):
            strength = (
                float(run)
                if signal is SignalType.FOREIGN_BUY_STREAK
                else float(last.foreign_value + last.institution_value)
            )
            out.append(SignalEvent(last.symbol, signal, Interval.D1, ts, close, values, strength))
    return out
