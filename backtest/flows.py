"""Investor flows joined to a panel's bars (issue 21): one row of net buying per bar, NaN where none.

The data layer loads the flows (`storage` via the caller); this module only aligns them, by the bar's
trading date (daily bars open at 00:00 UTC of their session date), so the flow rules of
`signals.flows` see the same rows as the price rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backtest.data import Panel
from core.types import InvestorFlow, SignalType
from signals.flows import flow_history

Arr = NDArray[Any]
_DAY_US = 86_400_000_000


def join_flows(panel: Panel, flows_by_symbol: Mapping[str, Sequence[InvestorFlow]]) -> Panel:
    """`panel` with foreign and institutional net buying (KRW) on the rows of the bars' sessions."""
    shape = panel.close.shape
    foreign = np.full(shape, np.nan, order="F")
    inst = np.full(shape, np.nan, order="F")
    for j, sym in enumerate(panel.symbols):
        flows = flows_by_symbol.get(sym, ())
        if not flows:
            continue
        by_day = {np.datetime64(f.day, "D").astype(np.int64): f for f in flows}
        s0 = int(panel.start[j])
        days = panel.ts[s0:, j] // _DAY_US
        for k, day in enumerate(days.tolist()):
            f = by_day.get(day)
            if f is not None:
                foreign[s0 + k, j] = f.foreign_value
                inst[s0 + k, j] = f.institution_value
    return replace(panel, foreign=foreign, institution=inst)


def flow_masks(panel: Panel, *, streak_days: int) -> dict[SignalType, Arr]:
    """The flow rules' event masks over the panel (all False when no flows were joined)."""
    if panel.foreign is None or panel.institution is None:
        empty = np.zeros(panel.close.shape, dtype=np.bool_, order="F")
        return {SignalType.FOREIGN_BUY_STREAK: empty, SignalType.SMART_MONEY_BUY: empty.copy()}
    return flow_history(panel.foreign, panel.institution, streak_days=streak_days)
