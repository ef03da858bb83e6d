"""Bars -> aligned 2-D arrays (one column per instrument, right-aligned on the last bar).

Columns are aligned on bar POSITION, not on date: row -1 is every instrument's last bar and
shorter histories are NaN-padded in front. Forward windows are counted in each instrument's own
trading days, so instruments from different calendars never see holes in the middle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import attrgetter
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


_FIELDS = attrgetter("open", "high", "low", "close", "volume", "adj_factor")


def _columns(symbol: str, bars: Sequence[Bar]) -> tuple[Arr, Arr]:
    """(timestamps in us, values (n, 6)) sorted by time, the last bar kept per timestamp, checked."""
    stamps = [b.ts for b in bars]
    naive = next((t for t in stamps if t.tzinfo is None), None)
    if naive is not None:
        raise DataError(f"{symbol}: bar timestamp {naive.isoformat()} is naive; bars carry aware UTC times")
    us = np.round(np.array([t.timestamp() for t in stamps]) * 1e6).astype(np.int64)
    values: Arr = np.array(list(map(_FIELDS, bars)), dtype=np.float64).reshape(-1, 6)
    order = np.argsort(us, kind="stable")
    us, values = us[order], values[order]
    last = np.ones(us.size, dtype=bool)
    last[:-1] = us[1:] != us[:-1]  # of equal timestamps, keep the last one given
    us, values = us[last], values[last]
    with np.errstate(invalid="ignore"):
        bad_price = ~np.all(
            np.isfinite(values[:, [0, 1, 2, 3, 5]]) & (values[:, [0, 1, 2, 3, 5]] > 0), axis=1
        )
        bad_volume = ~(np.isfinite(values[:, 4]) & (values[:, 4] >= 0))
    for bad, what in (
        (bad_price, "a non-positive or missing price"),
        (bad_volume, "a negative or missing volume"),
    ):
        if bad.any():
            at = us_to_datetime(int(us[np.argmax(bad)])).isoformat()
            raise DataError(f"{symbol}: bar at {at} has {what}")
    return us, values


def build_panel(
    bars_by_symbol: Mapping[str, Sequence[Bar]], *, invalid: dict[str, str] | None = None
) -> Panel:
    """Aligned adjusted arrays for the given histories. Raises UsageError if one has no bars,
    DataError (naming the symbol and bar) for naive timestamps or invalid prices and volumes;
    with `invalid` given, such symbols are left out and their messages collected there instead."""
    if not bars_by_symbol:
        raise UsageError("no symbols to backtest")
    empty = [sym for sym, bars in bars_by_symbol.items() if not bars]
    if empty:
        raise UsageError(f"no bars for {', '.join(empty)} in the requested period")
    cols: dict[str, tuple[Arr, Arr]] = {}
    for sym, bars in bars_by_symbol.items():
        try:
            cols[sym] = _columns(sym, bars)
        except DataError as exc:
            if invalid is None:
                raise
            invalid[sym] = str(exc)
    if not cols:
        raise UsageError("no symbol has usable bars")
    n = max(us.size for us, _ in cols.values())
    m = len(cols)
    ts = np.full((n, m), _NAT, dtype=np.int64, order="F")
    arrays = [np.full((n, m), np.nan, order="F") for _ in range(5)]
    start = np.empty(m, dtype=np.int64)
    for j, (us, values) in enumerate(cols.values()):
        k = n - us.size
        start[j] = k
        ts[k:, j] = us
        for f in range(4):
            arrays[f][k:, j] = values[:, f] * values[:, 5]
        arrays[4][k:, j] = values[:, 4]
    o, h, lo, c, v = arrays
    return Panel(tuple(cols), ts, o, h, lo, c, v, start)
