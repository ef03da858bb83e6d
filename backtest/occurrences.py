"""Every occurrence of a signal with its forward returns: the event study's detail, for one instrument."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backtest.data import us_to_datetime
from core.types import SignalType

Arr = NDArray[Any]


def occurrences(
    ts: Arr,
    close: Arr,
    high: Arr,
    low: Arr,
    mask: Arr,
    *,
    signal: SignalType,
    start: int,
    horizons: Sequence[int],
    entry: Arr | None = None,
) -> list[dict[str, Any]]:
    """One dict per event at rows >= start: ts, close, direction, and per horizon h the
    direction-adjusted forward return `return_{h}` and MAE `mae_{h}` (None when the window runs
    past the data). Same conventions as `backtest.study`; `entry` (default `close`) is the price
    each forward return starts from."""
    n = close.size
    base = close if entry is None else entry
    out: list[dict[str, Any]] = []
    for t in np.flatnonzero(mask[start:]) + start:
        t = int(t)
        d = signal.direction or (1 if t == 0 or close[t] >= close[t - 1] else -1)
        row: dict[str, Any] = {
            "signal": signal.value,
            "ts": us_to_datetime(int(ts[t])).isoformat(),
            "close": float(close[t]),
            "direction": d,
        }
        for h in horizons:
            if t + h > n - 1:
                row[f"return_{h}"] = row[f"mae_{h}"] = None
                continue
            row[f"return_{h}"] = float(d * (close[t + h] / base[t] - 1.0))
            if d > 0:
                adverse = float(low[t + 1 : t + h + 1].min() / base[t] - 1.0)
            else:
                adverse = float(1.0 - high[t + 1 : t + h + 1].max() / base[t])
            row[f"mae_{h}"] = min(adverse, 0.0)
        out.append(row)
    return out
