"""The KRX listing (issue 21): one row per stock code with its status (listed, halted, delisted)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select

from core.types import Listing, ListingStatus
from storage.models import ListingRow
from storage.repos.base import Repo


def _listing(row: ListingRow) -> Listing:
    return Listing(
        row.code, row.name, row.market, ListingStatus(row.status), row.since, row.name_en, row.reason
    )


class SqlListingRepo(Repo):
    async def upsert_listings(self, listings: Sequence[Listing]) -> int:
        latest = {x.code: x for x in listings}
        if not latest:
            return 0
        codes = list(latest)
        async with self._sessions.begin() as session:
            for i in range(0, len(codes), 500):
                await session.execute(delete(ListingRow).where(ListingRow.code.in_(codes[i : i + 500])))
            session.add_all(
                ListingRow(
                    code=x.code,
                    name=x.name[:128],
                    name_en=x.name_en[:128],
                    market=x.market[:16],
                    status=x.status.value,
                    since=x.since,
                    reason=x.reason[:255],
                )
                for x in latest.values()
            )
        return len(latest)

    async def list_listings(self, *, status: ListingStatus | None = None) -> list[Listing]:
        stmt = select(ListingRow).order_by(ListingRow.code)
        if status is not None:
            stmt = stmt.where(ListingRow.status == status.value)
        async with self._sessions() as session:
            return [_listing(r) for r in await session.scalars(stmt)]

    async def get_listing(self, code: str) -> Listing | None:
        async with self._sessions() as session:
            row = await session.get(ListingRow, code)
        return None if row is None else _listing(row)

    async def find_listings(self, name: str) -> list[Listing]:
        key = name.strip().lower()
        stmt = select(ListingRow).where(
            or_(func.lower(ListingRow.name) == key, func.lower(ListingRow.name_en) == key)
        )
        async with self._sessions() as session:
            rows = [_listing(r) for r in await session.scalars(stmt)]
        order = {ListingStatus.LISTED: 0, ListingStatus.HALTED: 1, ListingStatus.DELISTED: 2}
        return sorted(rows, key=lambda x: (order[x.status], x.code))
