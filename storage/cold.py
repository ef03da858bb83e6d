"""The cold tier of bars (issue 20): one Parquet file per market and calendar month (UTC),
`<root>/<market>/<YYYY-MM>.parquet`, rows sorted by (symbol, interval, ts) in small row groups so a
read of one symbol skips the rest by the row groups' statistics.

Writes are atomic: a temporary file in the same directory, flushed to disk, then `os.replace`. A
crash leaves either the old file or the new one (and a `.tmp` that the next write removes). Which
months exist is re-listed when the market's directory changes (one `stat` per read), so a process
sees the files another process (the collector's archive job) has just renamed into place.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.errors import StorageError
from core.types import Bar, Interval

logger = logging.getLogger(__name__)

SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("interval", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.float64()),
        ("adj_factor", pa.float64()),
        ("source", pa.string()),
        ("flags", pa.string()),
    ]
)
ROW_GROUP = 8192
Month = tuple[int, int]  # (year, month)


def month_of(ts: datetime) -> Month:
    ts = ts.astimezone(UTC)
    return ts.year, ts.month


def month_start(month: Month) -> datetime:
    return datetime(month[0], month[1], 1, tzinfo=UTC)


def next_month(month: Month) -> Month:
    return (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)


def to_table(bars: Iterable[Bar]) -> pa.Table:
    """Bars as a table in file order (symbol, interval, ts)."""
    rows = sorted(bars, key=lambda b: (b.symbol, str(b.interval), b.ts))
    columns = {
        "symbol": [b.symbol for b in rows],
        "interval": [str(b.interval) for b in rows],
        "ts": [b.ts.astimezone(UTC) for b in rows],
        "open": [b.open for b in rows],
        "high": [b.high for b in rows],
        "low": [b.low for b in rows],
        "close": [b.close for b in rows],
        "volume": [b.volume for b in rows],
        "adj_factor": [b.adj_factor for b in rows],
        "source": [b.source for b in rows],
        "flags": [b.flags for b in rows],
    }
    return pa.table(columns, schema=SCHEMA)


def to_bars(table: pa.Table) -> list[Bar]:
    cols = [table.column(name).to_pylist() for name in SCHEMA.names]
    cols[2] = [ts.replace(tzinfo=UTC) for ts in cols[2]]  # pyarrow gives ZoneInfo('UTC'); the house uses UTC
    return [
        Bar(symbol=s, interval=Interval(i), ts=t, open=o, high=h, low=lo, close=c, volume=v,
            adj_factor=a, source=src, flags=f)
        for s, i, t, o, h, lo, c, v, a, src, f in zip(*cols, strict=True)
    ]  # fmt: skip


class ColdWriteError(StorageError):
    """A Parquet file read back differs from what was written (the previous file is kept)."""


class ColdBarStore:
    """Monthly Parquet files of bars under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._months: dict[str, tuple[int, list[Month]]] = {}  # market -> (dir mtime, sorted months)
        self._markets: tuple[int, list[str]] | None = None
        self._footers: dict[Path, tuple[tuple[int, int], list[tuple[str, str] | None]]] = {}

    def path(self, market: str, month: Month) -> Path:
        return self.root / market / f"{month[0]:04d}-{month[1]:02d}.parquet"

    def markets(self) -> list[str]:
        """The markets with a directory under the root (cached until the root changes): empty when
        nothing was ever archived, so a reader skips the cold tier at the cost of one `stat`."""
        try:
            stamp = self.root.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        if self._markets is None or self._markets[0] != stamp:
            self._markets = (stamp, sorted(e.name for e in os.scandir(self.root) if e.is_dir()))
        return self._markets[1]

    def months(self, market: str) -> list[Month]:
        """The archived months of `market`, oldest first (cached until its directory changes)."""
        folder = self.root / market
        try:
            stamp = folder.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        cached = self._months.get(market)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found: list[Month] = []
        for entry in os.scandir(folder):
            name = entry.name
            if name.endswith(".parquet") and len(name) == 15 and name[4] == "-":
                found.append((int(name[:4]), int(name[5:7])))
        found.sort()
        self._months[market] = (stamp, found)
        return found

    def read_month(self, market: str, month: Month) -> list[Bar]:
        path = self.path(market, month)
        return to_bars(pq.read_table(path, schema=SCHEMA)) if path.exists() else []

    def read(
        self,
        market: str,
        symbol: str,
        interval: Interval,
        months: Sequence[Month],
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Bar]:
        """`symbol`'s bars of `interval` in the given months, within [start, end], oldest first."""
        out: list[Bar] = []
        for month in sorted(months):
            table = self._series(self.path(market, month), symbol, str(interval))
            if table is None:
                continue
            if start is not None:
                table = table.filter(pc.greater_equal(table["ts"], pa.scalar(start, SCHEMA.field("ts").type)))
            if end is not None:
                table = table.filter(pc.less_equal(table["ts"], pa.scalar(end, SCHEMA.field("ts").type)))
            out.extend(to_bars(table))
        return out

    def _series(self, path: Path, symbol: str, interval: str) -> pa.Table | None:
        """The rows of one series in one file: only the row groups whose statistics may hold it are
        read (the file's footer is parsed once per version of the file)."""
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._footers.get(path)
        if cached is None or cached[0] != stamp:
            meta = pq.read_metadata(path)
            groups = []
            for i in range(meta.num_row_groups):
                col = meta.row_group(i).column(0).statistics  # symbol: the files are sorted by it
                groups.append((str(col.min), str(col.max)) if col is not None and col.has_min_max else None)
            cached = self._footers[path] = (stamp, groups)
            if len(self._footers) > 4096:
                self._footers.clear()
        wanted = [i for i, mm in enumerate(cached[1]) if mm is None or mm[0] <= symbol <= mm[1]]
        if not wanted:
            return None
        table = pq.ParquetFile(path).read_row_groups(wanted)
        mask = pc.and_(pc.equal(table["symbol"], symbol), pc.equal(table["interval"], interval))
        return table.filter(mask)

    def write_month(self, market: str, month: Month, bars: Iterable[Bar], *, verify: bool = True) -> Path:
        """Replace the month's file atomically with `bars`; returns its path. With `verify`, the
        temporary file is read back and compared value by value before it replaces the old one
        (ColdWriteError otherwise, the old file untouched)."""
        path = self.path(market, month)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        table = to_table(bars)
        try:
            with tmp.open("wb") as handle:
                pq.write_table(table, handle, compression="zstd", row_group_size=ROW_GROUP)
                handle.flush()
                os.fsync(handle.fileno())
            if verify and not pq.read_table(tmp, schema=SCHEMA).equals(table):
                raise ColdWriteError(f"{tmp}: read back differs from what was written")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)
        return path

    def remove_stray(self) -> int:
        """Delete temporary files an interrupted write left behind; returns how many."""
        count = 0
        for tmp in self.root.glob("*/*.parquet.tmp") if self.root.exists() else []:
            tmp.unlink(missing_ok=True)
            count += 1
        return count


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
