"""Bars -> aligned 2-D arrays (one column per instrument, right-aligned on the last bar).

Columns are aligned on bar POSITION, not on date: row -1 is every instrument's last bar and
shorter histories are NaN-padded in front. Forward windows are counted in each instrument's own
trading days, so instruments from different calendars never see holes in the middle.

Every history first goes through the one rule for bad bars (`core.quality`): duplicates, invalid
prices and outliers are held out, inconsistent OHLC and missing adjustment factors repaired; the
panel keeps each symbol's report and the rows that follow a long gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.errors import DataError, UsageError
from core.quality import QualityReport, QualityRules, bar_arrays, clean_arrays
from core.types import Bar

Arr = NDArray[Any]

_NAT = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, eq=False)
class Panel:
    """Adjusted OHLCV of several instruments, shape (n_bars, n_instruments), NaN-padded in front.

    `ts` holds each bar's open time as int64 microseconds since the epoch (`_NAT` in padding);
    `start[j]` is the first row holding a bar of column j. `quality[j]` says what the bad-bar rule
    changed or held out; `gaps[j]` holds the rows of column j that follow a long gap.
    """

    symbols: tuple[str, ...]
    ts: Arr
    open: Arr
    high: Arr
    low: Arr
    close: Arr
    volume: Arr
    start: Arr
    quality: tuple[QualityReport, ...] = ()
    gaps: tuple[tuple[int, ...], ...] = field(default=())
    # investor flows joined by `backtest.flows.join_flows` (foreign / institutional net buying, KRW)
    foreign: Arr | None = None
    institution: Arr | None = None

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
            quality=tuple(self.quality[i] for i in idx) if self.quality else (),
            gaps=tuple(tuple(r - first for r in self.gaps[i]) for i in idx) if self.gaps else (),
            foreign=None if self.foreign is None else cut(self.foreign),
            institution=None if self.institution is None else cut(self.institution),
        )  # fmt: skip

    def datetime_at(self, row: int, col: int) -> datetime:
        return us_to_datetime(int(self.ts[row, col]))


def us_to_datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _columns(
    symbol: str, bars: Sequence[Bar], rules: QualityRules
) -> tuple[Arr, Arr, QualityReport, tuple[int, ...]]:
    """(timestamps in us, adjusted-ready values (n, 6), report, gap rows) after the bad-bar rule."""
    try:
        us, values = bar_arrays(bars)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    res = clean_arrays(symbol, us, values, rules)
    if res.ts.size == 0:
        raise DataError(f"{symbol}: no usable bar ({res.report.summary()})")
    return res.ts, res.values, res.report, res.gap_rows


def build_panel(
    bars_by_symbol: Mapping[str, Sequence[Bar]],
    *,
    invalid: dict[str, str] | None = None,
    rules: QualityRules = QualityRules(),
) -> Panel:
    """Aligned adjusted arrays for the given histories. Raises UsageError if one has no bars,
    DataError (naming the symbol and bar) for naive timestamps or a history without a usable bar;
    with `invalid` given, such symbols are left out and their messages collected there instead."""
    if not bars_by_symbol:
        raise UsageError("no symbols to backtest")
    empty = [sym for sym, bars in bars_by_symbol.items() if not bars]
    if empty:
        raise UsageError(f"no bars for {', '.join(empty)} in the requested period")
    cols: dict[str, tuple[Arr, Arr, QualityReport, tuple[int, ...]]] = {}
    for sym, bars in bars_by_symbol.items():
        try:
            cols[sym] = _columns(sym, bars, rules)
        except DataError as exc:
            if invalid is None:
                raise
            invalid[sym] = str(exc)
    if not cols:
        raise UsageError("no symbol has usable bars")
    n = max(c[0].size for c in cols.values())
    m = len(cols)
    ts = np.full((n, m), _NAT, dtype=np.int64, order="F")
    arrays = [np.full((n, m), np.nan, order="F") for _ in range(5)]
    start = np.empty(m, dtype=np.int64)
    gaps: list[tuple[int, ...]] = []
    for j, (us, values, _rep, gap_rows) in enumerate(cols.values()):
        k = n - us.size
        start[j] = k
        gaps.append(tuple(k + r for r in gap_rows))
        ts[k:, j] = us
        for f in range(4):
            arrays[f][k:, j] = values[:, f] * values[:, 5]
        arrays[4][k:, j] = values[:, 4]
    o, h, lo, c, v = arrays
    reports = tuple(c[2] for c in cols.values())
    return Panel(tuple(cols), ts, o, h, lo, c, v, start, reports, tuple(gaps))
