"""Bars -> aligned 2-D arrays (one column per instrument, right-aligned on the last bar).

Columns are aligned on bar POSITION, not on date: row -1 is every instrument's last bar and
shorter histories are NaN-padded in front. Forward windows are counted in each instrument's own
trading days, so instruments from different calendars never see holes in the middle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.errors import DataError, UsageError
from core.types import Bar

Arr = NDArray[Any]

_NAT = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, eq=False)
class Panel:
    """Adjusted OHLCV of several instruments, shape (n_bars, n_instruments), NaN-padded in front.

    `ts` holds each bar's open time as int64 microseconds since the epoch (`_NAT` in padding);
    `start[j]` is the first row holding a bar of column j.
    """

    symbols: tuple[str, ...]
    ts: Arr
    open: Arr
    high: Arr
    low: Arr
    close: Arr
    volume: Arr
    start: Arr

    @property
    def n_bars(self) -> int:
        return int(self.close.shape[0])

    def take(self, cols: slice | Sequence[int]) -> Panel:
        """A panel of some columns (trimmed of rows that are padding for every kept column)."""
        idx = np.arange(len(self.symbols))[cols]
        first = int(self.start[idx].min()) if len(idx) else self.n_bars

        def cut(a: Arr) -> Arr:
            return np.asfortranarray(a[first:, idx])

        return Panel(
            symbols=tuple(self.symbols[i] for i in idx),
            ts=cut(self.ts), open=cut(self.open), high=cut(self.high), low=cut(self.low),
            close=cut(self.close), volume=cut(self.volume), start=self.start[idx] - first,
        )  # fmt: skip

    def datetime_at(self, row: int, col: int) -> datetime:
        return us_to_datetime(int(self.ts[row, col]))


def us_to_datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _to_us(ts: datetime, symbol: str) -> int:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise DataError(f"{symbol}: bar timestamp {ts.isoformat()} is naive; bars carry aware UTC times")
    delta = ts.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _clean(symbol: str, bars: Sequence[Bar]) -> list[Bar]:
    """Bars sorted by time, the last one kept for duplicate timestamps, prices checked."""
    by_ts: dict[datetime, Bar] = {}
    for bar in bars:
        by_ts[bar.ts] = bar
    out = [by_ts[k] for k in sorted(by_ts)]
    for bar in out:
        prices = (bar.open, bar.high, bar.low, bar.close, bar.adj_factor)
        if not all(math.isfinite(p) and p > 0 for p in prices):
            raise DataError(f"{symbol}: bar at {bar.ts.isoformat()} has a non-positive or missing price")
        if not (math.isfinite(bar.volume) and bar.volume >= 0):
            raise DataError(f"{symbol}: bar at {bar.ts.isoformat()} has a negative or missing volume")
    return out


def build_panel(bars_by_symbol: Mapping[str, Sequence[Bar]]) -> Panel:
    """Aligned adjusted arrays for the given histories. Raises UsageError if one has no bars."""
    if not bars_by_symbol:
        raise UsageError("no symbols to backtest")
    cleaned = {sym: _clean(sym, bars) for sym, bars in bars_by_symbol.items()}
    empty = [sym for sym, bars in cleaned.items() if not bars]
    if empty:
        raise UsageError(f"no bars for {', '.join(empty)} in the requested period")
    n = max(len(b) for b in cleaned.values())
    m = len(cleaned)
    ts = np.full((n, m), _NAT, dtype=np.int64, order="F")
    arrays = [np.full((n, m), np.nan, order="F") for _ in range(5)]
    start = np.empty(m, dtype=np.int64)
    for j, bars in enumerate(cleaned.values()):
        k = n - len(bars)
        start[j] = k
        ts[k:, j] = [_to_us(b.ts, b.symbol) for b in bars]
        adj = np.array([b.adj_factor for b in bars])
        for arr, name in zip(arrays, ("open", "high", "low", "close"), strict=False):
            arr[k:, j] = np.array([getattr(b, name) for b in bars]) * adj
        arrays[4][k:, j] = [b.volume for b in bars]
    o, h, lo, c, v = arrays
    return Panel(tuple(cleaned), ts, o, h, lo, c, v, start)
