"""Instruments, bars (the hot path) and fetch cursors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Dialect, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.timeutil import ensure_utc, utcnow
from core.types import Bar, FetchCursor, Instrument, Interval, Market
from storage.models import BarRow, FetchCursorRow, InstrumentRow
from storage.repos.base import Repo, chunked, table_of
from storage.repos.versions import INSTRUMENTS, VersionedCache, bump

_BAR_COLUMNS = ("open", "high", "low", "close", "volume", "adj_factor", "source", "flags")
_BAR_SELECT = (
    BarRow.symbol,
    BarRow.interval,
    BarRow.ts,
    BarRow.open,
    BarRow.high,
    BarRow.low,
    BarRow.close,
    BarRow.volume,
    BarRow.adj_factor,
    BarRow.source,
    BarRow.flags,
)


def _to_instrument(row: InstrumentRow) -> Instrument:
    return Instrument(
        symbol=row.symbol,
        name=row.name,
        market=Market(row.market),
        currency=row.currency,
        timezone=row.timezone,
        sources=tuple(row.sources),
        source_symbols=dict(row.source_symbols or {}),
        active=row.active,
    )


class SqlInstrumentRepo(Repo):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str) -> None:
        super().__init__(sessions, dialect)
        self._all: VersionedCache[dict[str, Instrument]] = VersionedCache(INSTRUMENTS)

    async def upsert_instruments(self, instruments: Iterable[Instrument]) -> None:
        now = utcnow()
        rows = {
            i.symbol: {
                "symbol": i.symbol,
                "name": i.name,
                "market": str(i.market),
                "currency": i.currency,
                "timezone": i.timezone,
                "sources": tuple(i.sources),
                "source_symbols": dict(i.source_symbols),
                "active": i.active,
                "updated_at": now,
            }
            for i in instruments
        }
        if not rows:
            return
        columns = [c for c in next(iter(rows.values())) if c != "symbol"]
        stmt = self._upsert(InstrumentRow, ["symbol"], columns)
        async with self._sessions.begin() as session:
            await session.execute(stmt, list(rows.values()))
            await bump(session, INSTRUMENTS)

    async def get_instrument(self, symbol: str) -> Instrument | None:
        async with self._sessions() as session:
            row = await session.scalar(select(InstrumentRow).where(InstrumentRow.symbol == symbol))
            return None if row is None else _to_instrument(row)

    async def get_instruments(self, symbols: Iterable[str]) -> dict[str, Instrument]:
        wanted = sorted(set(symbols))
        async with self._sessions() as session:
            held = await self._all.current(session)
            if held is not None:  # kept by `cache_instruments` and still current
                return {s: held[s] for s in wanted if s in held}
            return await _instruments(session, wanted)

    async def cache_instruments(self) -> int:
        held = await self._all.refresh(self._sessions, lambda session: _instruments(session, None))
        return len(held)

    async def list_instruments(self, *, active_only: bool = True) -> list[Instrument]:
        query = select(InstrumentRow).order_by(InstrumentRow.symbol)
        if active_only:
            query = query.where(InstrumentRow.active.is_(True))
        async with self._sessions() as session:
            return [_to_instrument(row) for row in await session.scalars(query)]


async def _instruments(session: AsyncSession, symbols: Sequence[str] | None) -> dict[str, Instrument]:
    """The stored instruments of `symbols` (None: all), by symbol."""
    query = select(*table_of(InstrumentRow).c)
    queries = (
        [query] if symbols is None else [query.where(InstrumentRow.symbol.in_(p)) for p in chunked(symbols)]
    )
    found: dict[str, Instrument] = {}
    for q in queries:
        row: Any  # a Core row (cheaper than ORM objects) with the same attributes
        for row in await session.execute(q):
            found[row.symbol] = _to_instrument(row)
    return found


def _bar_params(bar: Bar) -> dict[str, Any]:
    return {
        "symbol": bar.symbol,
        "interval": str(bar.interval),
        "ts": bar.ts,
        "open": bar.open,
        "high": bar.high,
        "low": bar.low,
        "close": bar.close,
        "volume": bar.volume,
        "adj_factor": bar.adj_factor,
        "source": bar.source,
        "flags": bar.flags,
    }


def _to_bar(row: Any) -> Bar:
    return Bar(
        symbol=row[0],
        interval=Interval(row[1]),
        ts=row[2],
        open=float(row[3]),
        high=float(row[4]),
        low=float(row[5]),
        close=float(row[6]),
        volume=float(row[7]),
        adj_factor=float(row[8]),
        source=row[9],
        flags=row[10],
    )


_BAR_KEYS = ("symbol", "interval", "ts")


def _identity(value: Any) -> Any:
    return value


def _fast_ts(ts: datetime) -> str:
    if ts.tzinfo is not UTC:
        ts = ensure_utc(ts)
    return ts.isoformat(sep=" ", timespec="microseconds")[:26]  # drop the "+00:00"


def _ts_writer(dialect: Dialect) -> Callable[[datetime], Any]:
    """The `ts` column's bind processor; or a C-speed equivalent once checked to give the same text."""
    exact: Callable[[Any], Any] = (
        table_of(BarRow).c.ts.type.dialect_impl(dialect).bind_processor(dialect) or _identity
    )
    probe = datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=UTC)
    return _fast_ts if exact(probe) == _fast_ts(probe) else exact


async def _sqlite_upsert_bars(conn: AsyncConnection, bars: Sequence[Bar]) -> None:
    """The hot path on SQLite: one prepared upsert run by the driver's executemany, without
    SQLAlchemy's per-row parameter machinery (about 5x faster). Timestamps go through the column
    type's own bind processor, so they are stored exactly as every other statement stores them."""
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    columns = (*_BAR_KEYS, *_BAR_COLUMNS)
    sql = (
        f"INSERT INTO bars ({', '.join(quote(c) for c in columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in _BAR_KEYS)}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in _BAR_COLUMNS)
    )
    to_db = _ts_writer(dialect)
    rows = [
        (b.symbol, str(b.interval), to_db(b.ts), float(b.open), float(b.high), float(b.low), float(b.close),
         float(b.volume), float(b.adj_factor), b.source, b.flags)
        for b in bars
    ]  # fmt: skip
    for chunk in chunked(rows, 20_000):
        await conn.exec_driver_sql(sql, list(chunk))


class SqlBarRepo(Repo):
    async def upsert_bars(self, bars: Sequence[Bar]) -> int:
        """Insert or replace bars in chunked executemany calls, one transaction; returns distinct bars
        (the last of duplicates in the batch wins)."""
        unique: dict[tuple[str, str, datetime], Bar] = {}
        for bar in bars:
            unique[(bar.symbol, str(bar.interval), ensure_utc(bar.ts))] = bar
        if not unique:
            return 0
        async with self._sessions.begin() as session:
            conn = await session.connection()
            if self._dialect == "sqlite":
                await _sqlite_upsert_bars(conn, list(unique.values()))
            else:
                stmt = self._upsert(BarRow, ["symbol", "interval", "ts"], _BAR_COLUMNS)
                for chunk in chunked([_bar_params(bar) for bar in unique.values()]):
                    await conn.execute(stmt, list(chunk))
        return len(unique)

    async def list_bars(
        self,
        symbol: str,
        interval: Interval = Interval.D1,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Bar]:
        query = select(*_BAR_SELECT).where(BarRow.symbol == symbol, BarRow.interval == str(interval))
        if start is not None:
            query = query.where(BarRow.ts >= start)
        if end is not None:
            query = query.where(BarRow.ts <= end)
        if limit is not None:
            query = query.order_by(BarRow.ts.desc()).limit(limit)
        else:
            query = query.order_by(BarRow.ts)
        async with self._sessions() as session:
            result = await session.execute(query)
            bars = [_to_bar(row) for row in result]
        if limit is not None:
            bars.reverse()
        return bars

    async def last_bar(self, symbol: str, interval: Interval = Interval.D1) -> Bar | None:
        bars = await self.list_bars(symbol, interval, limit=1)
        return bars[0] if bars else None

    async def set_adj_factors(
        self, symbol: str, interval: Interval, factors: Sequence[tuple[datetime, float]]
    ) -> int:
        changed = 0
        async with self._sessions.begin() as session:
            for ts_from, factor in factors:
                result = await session.execute(
                    update(BarRow)
                    .where(BarRow.symbol == symbol, BarRow.interval == str(interval), BarRow.ts < ts_from)
                    .values(adj_factor=BarRow.adj_factor * factor)
                    .execution_options(synchronize_session=False)
                )
                changed += max(getattr(result, "rowcount", 0), 0)
        return changed


class SqlCursorRepo(Repo):
    async def get_cursor(self, symbol: str, source: str, interval: Interval) -> FetchCursor | None:
        async with self._sessions() as session:
            row = await session.get(FetchCursorRow, (symbol, source, str(interval)))
            if row is None:
                return None
            return FetchCursor(
                symbol=row.symbol,
                source=row.source,
                interval=Interval(row.interval),
                last_ts=row.last_ts,
                updated_at=row.updated_at,
            )

    async def set_cursor(self, cursor: FetchCursor) -> None:
        stmt = self._upsert(FetchCursorRow, ["symbol", "source", "interval"], ["last_ts", "updated_at"])
        params = {
            "symbol": cursor.symbol,
            "source": cursor.source,
            "interval": str(cursor.interval),
            "last_ts": cursor.last_ts,
            "updated_at": cursor.updated_at or utcnow(),
        }
        async with self._sessions.begin() as session:
            await session.execute(stmt, params)
