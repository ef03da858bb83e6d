"""The two figures `/price` shows next to a quote: SMA and Wilder's RSI, from the signal engine's
batch path (`signals.compute_history`), so `/price`, `/signals`, alerts and backtests agree exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from signals import SignalConfig, compute_history


def indicators(closes: Sequence[float], sma_n: int, rsi_n: int = 14) -> tuple[float | None, float | None]:
    """(SMA over the last `sma_n` closes, RSI(`rsi_n`)) at the last close; None until defined."""
    if not closes:
        return None, None
    close = np.asarray(closes, dtype=np.float64)
    config = SignalConfig(sma_fast=1, sma_slow=max(2, sma_n), rsi_period=rsi_n)  # fast < slow
    res = compute_history(close, np.zeros_like(close), config)
    sma, rsi = float(res.sma_slow[-1] if sma_n > 1 else close[-1]), float(res.rsi[-1])
    return (None if np.isnan(sma) else sma), (None if np.isnan(rsi) else rsi)


def sma(closes: Sequence[float], n: int) -> float | None:
    return indicators(closes, n)[0] if len(closes) >= n else None


def rsi(closes: Sequence[float], n: int = 14) -> float | None:
    return indicators(closes, 1, n)[1] if len(closes) > n else None
