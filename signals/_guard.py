"""The bad-bar rule on the live path (issue 27): `SignalEngine.on_bar`/`on_bars` judge each new bar with
the same rule as imports, backtests and warm-up (`core.quality.clean_arrays`), against the two bars
the engine fed before it, and restart a symbol's warm-up after a long gap as `warm_up` does.

Only a bar that moves more than `suspect_log_move` from the last close is handed to the rule (the rule
can change nothing smaller at the end of a history): the usual round costs one vectorised comparison.
What the rule does to the new bar, last in its three-bar window:
- a units slip (10x/100x/1000x off the two bars before, which agree) is divided back, as in the batch
  path, where the same bar in the middle of a history is divided back by the same power;
- a move beyond `outlier_extreme` (x5) that no units slip explains is held out of the indicators.
A spike below x5 that reverts on the next bar is held out by the batch rule but cannot be known live
without holding every large genuine move back one bar; it is fed (see docs/data-quality.md).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from core.quality import QualityRules, clean_arrays
from signals._types import Arr

_DAY_US = 86_400_000_000
HELD = -1.0  # `judge`'s answer for a bar held out


def suspect_log_move(rules: QualityRules) -> float:
    """Smallest |log move| the rule can act on at the end of a history (units slip or extreme move)."""
    return min(rules.outlier_extreme, 0.9 * math.log(10.0))


@dataclass(slots=True)
class LiveQuality:
    """What the live rule did since the engine started: counts and the latest details."""

    held_out: int = 0
    repaired: int = 0
    gaps: int = 0
    details: deque[str] = field(default_factory=lambda: deque(maxlen=50))

    def as_dict(self) -> dict[str, object]:
        return {
            "held_out": self.held_out,
            "repaired": self.repaired,
            "gaps": self.gaps,
            "details": list(self.details),
        }


def judge(symbol: str, before: Arr, close: float, rules: QualityRules) -> float:
    """The adjusted close to feed for a new bar after the closes `before` (oldest first, 1 or 2 of
    them): `close` itself, a repaired close, or HELD."""
    closes = np.append(before, close)
    n = closes.size
    values = np.empty((n, 6))
    values[:, :4] = closes[:, None]
    values[:, 4] = 0.0
    values[:, 5] = 1.0
    res = clean_arrays(symbol, np.arange(n, dtype=np.int64) * _DAY_US, values, rules)
    last = np.flatnonzero(res.index == n - 1)
    if last.size == 0:
        return HELD
    return float(res.values[int(last[0]), 3])


def gap_rows(last_ts: Arr, ts: Arr, none: int, rules: QualityRules) -> Arr:
    """Rows whose bar comes more than `max_gap_days` after the symbol's last bar."""
    known = last_ts != none
    return np.flatnonzero(known & (ts - np.where(known, last_ts, ts) > rules.max_gap_days * _DAY_US))
