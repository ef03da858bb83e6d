"""What a trader could have had: entry prices by basis, and events that long gaps make unusable.

- Basis 'next_open' (default): a signal seen on bar t's close is acted on at bar t+1's open, so
  forward returns run from open[t+1]. Basis 'close' keeps the close-to-close figure of bar t.
- A long gap (see `core.quality`) restarts the indicators' warm-up: no event is counted on the
  first `warmup` bars after it (their windows would span the gap), nor any event whose forward
  window (the longest horizon) spans it.
- Price-only histories (volume zero throughout) produce no volume signals; `no_volume` names them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.errors import UsageError
from core.types import SignalType

Arr = NDArray[Any]

BASES = ("next_open", "close")
DEFAULT_BASIS = "next_open"
VOLUME_SIGNALS = frozenset({SignalType.VOLUME_SPIKE})
NO_VOLUME = "no volume data: volume signals not produced"


def check_basis(basis: str) -> str:
    if basis not in BASES:
        raise UsageError(f"basis must be one of {', '.join(BASES)}, got {basis!r}")
    return basis


def entry_prices(close: Arr, open_: Arr, basis: str) -> Arr:
    """The price each bar's forward return starts from: close[t], or open[t+1] (NaN on the last row)."""
    if check_basis(basis) == "close":
        return close
    entry = np.full_like(close, np.nan)
    entry[:-1] = open_[1:]
    return np.asfortranarray(entry)


def mask_gaps(
    events: Mapping[SignalType, Arr], gaps: Sequence[Sequence[int]], *, warmup: int, horizon: int
) -> int:
    """Clear events (in place) at rows [g, g + warmup] and (g - horizon, g) for every gap row g of a
    column; returns how many events were cleared."""
    cleared = 0
    for j, rows in enumerate(gaps):
        for g in rows:
            lo, hi = max(0, g - horizon), g + warmup + 1
            for mask in events.values():
                cleared += int(mask[lo:hi, j].sum())
                mask[lo:hi, j] = False
    return cleared


def no_volume(volume: Arr, start: Arr) -> list[bool]:
    """Per column: True when the history carries no volume at all (a close- or price-only series)."""
    out = []
    for j in range(volume.shape[1]):
        col = volume[int(start[j]) :, j]
        out.append(bool(col.size) and not bool(np.nansum(col) > 0))
    return out
