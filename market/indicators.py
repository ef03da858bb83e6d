"""The two figures `/price` shows next to a quote: plain SMA and Wilder's RSI (pure, local).

Kept local rather than calling `signals.compute_history` (numba kernel, JIT-compiled on first use,
over whole arrays) on the `/price` path; the formulas are the textbook ones (SMA = mean of the last n
closes; RSI seeded with the mean of the first n changes, then Wilder smoothing), identical to
TA-Lib's SMA/RSI (tests compare them).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence


def sma(closes: Sequence[float], n: int) -> float | None:
    if len(closes) < n:
        return None
    return sum(closes[-n:]) / n


def rsi(closes: Sequence[float], n: int = 14) -> float | None:
    if len(closes) <= n:
        return None
    changes = [b - a for a, b in itertools.pairwise(closes)]
    gain = sum(max(c, 0.0) for c in changes[:n]) / n
    loss = sum(max(-c, 0.0) for c in changes[:n]) / n
    for c in changes[n:]:
        gain = (gain * (n - 1) + max(c, 0.0)) / n
        loss = (loss * (n - 1) + max(-c, 0.0)) / n
    if loss == 0:
        return 100.0 if gain > 0 else 50.0
    return 100.0 - 100.0 / (1.0 + gain / loss)
