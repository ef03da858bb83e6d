"""Instruments, bars (the hot path) and fetch cursors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from core.timeutil import ensure_utc, utcnow
from core.types import Bar, FetchCursor, Instrument, Interval, Market
from storage.models import BarRow, FetchCursorRow, InstrumentRow
from storage.repos.base import Repo, chunked

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

    async def get_instrument(self, symbol: str) -> Instrument | None:
        async with self._sessions() as session:
            row = await session.scalar(select(InstrumentRow).where(InstrumentRow.symbol == symbol))
            return None if row is None else _to_instrument(row)

    async def list_instruments(self, *, active_only: bool = True) -> list[Instrument]:
        query = select(InstrumentRow).order_by(InstrumentRow.symbol)
        if active_only:
            query = query.where(InstrumentRow.active.is_(True))
        async with self._sessions() as session:
            return [_to_instrument(row) for row in await session.scalars(query)]


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


class SqlBarRepo(Repo):
    async def upsert_bars(self, bars: Sequence[Bar]) -> int:
        """Insert or replace bars in chunked executemany calls, one transaction; returns distinct bars."""
        unique: dict[tuple[str, str, datetime], Bar] = {}
        for bar in bars:
            unique[(bar.symbol, str(bar.interval), ensure_utc(bar.ts))] = bar  # last one wins
        if not unique:
            return 0
        stmt = self._upsert(BarRow, ["symbol", "interval", "ts"], _BAR_COLUMNS)
        params = [_bar_params(bar) for bar in unique.values()]
        async with self._sessions.begin() as session:
            conn = await session.connection()
            for chunk in chunked(params):
                await conn.execute(stmt, list(chunk))
        return len(params)

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
