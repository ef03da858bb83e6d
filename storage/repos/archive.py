"""The SQL side of archiving bars to the cold tier (issue 20): a market's bars of one period, the
oldest bar's time, and the guarded delete of exactly the rows that were archived."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select

from core.errors import StorageError
from core.types import Bar, Interval
from storage.models import BarRow, InstrumentRow
from storage.repos.base import Repo
from storage.repos.market import _BAR_SELECT, _to_bar


def _of_market(market: str) -> Any:
    """The market's bars; naming every interval lets a time range use the (symbol, interval, ts) key."""
    return and_(
        BarRow.symbol.in_(select(InstrumentRow.symbol).where(InstrumentRow.market == market)),
        BarRow.interval.in_([str(i) for i in Interval]),
    )


class SqlArchiveRepo(Repo):
    async def oldest_bar_ts(self, market: str) -> datetime | None:
        """The time of the market's oldest stored bar (any interval), or None."""
        async with self._sessions() as session:
            query = select(func.min(BarRow.ts)).where(_of_market(market))
            value: datetime | None = await session.scalar(query)
        return value

    async def list_market_bars(self, market: str, start: datetime, end: datetime) -> list[Bar]:
        """Every bar of the market's instruments with start <= ts < end."""
        query = select(*_BAR_SELECT).where(_of_market(market), BarRow.ts >= start, BarRow.ts < end)
        async with self._sessions() as session:
            return [_to_bar(row) for row in await session.execute(query)]

    async def delete_archived(
        self, market: str, start: datetime, end: datetime, archived: Mapping[BarKey, Bar]
    ) -> int:
        """Delete the market's bars with start <= ts < end, in one transaction that first reads them
        again (locked on MySQL) and rolls back (StorageError) unless every one is in `archived` with
        the same values: a bar written or changed since the archive was made is never lost."""
        period = (_of_market(market), BarRow.ts >= start, BarRow.ts < end)
        async with self._sessions.begin() as session:
            query = select(*_BAR_SELECT).where(*period)
            if self._dialect != "sqlite":
                query = query.with_for_update()
            rows = [_to_bar(row) for row in await session.execute(query)]
            for bar in rows:
                if archived.get(bar_key(bar)) != bar:
                    raise _Changed(f"{bar.symbol} {bar.interval} {bar.ts:%Y-%m-%d %H:%M} changed meanwhile")
            result: Any = await session.execute(
                delete(BarRow).where(*period).execution_options(synchronize_session=False)
            )
            deleted = max(int(result.rowcount or 0), 0)
            if deleted != len(rows):
                raise _Changed(f"{deleted} rows deleted, {len(rows)} verified: bars changed meanwhile")
        return deleted


BarKey = tuple[str, str, datetime]


def bar_key(bar: Bar) -> BarKey:
    return bar.symbol, str(bar.interval), bar.ts


class _Changed(StorageError):
    """Raised inside the delete's transaction so it rolls back."""
