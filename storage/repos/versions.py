"""Data versions: reference data a process keeps in memory between bar closes, and how it knows that
what it holds is still what the database holds.

Every write to chats or watches (`WATCHERS`), instruments (`INSTRUMENTS`) or ratings (`RATINGS`) raises
that kind's counter in `data_versions` in the same transaction. A `VersionedCache` holds what it read
with the counter read just before (first, so that a write landing in between only makes it read again
later); it answers only while the counter is unchanged, which costs one small read per call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import DataVersionRow

WATCHERS = "watchers"
INSTRUMENTS = "instruments"
RATINGS = "ratings"


async def bump(session: AsyncSession, name: str) -> None:
    """Raise `name`'s counter inside the caller's write transaction (its last statement, so that
    concurrent writers lock their own rows first and this one row last)."""
    row = DataVersionRow
    result = await session.execute(
        update(row)
        .where(row.name == name)
        .values(version=row.version + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):  # a database the migration did not seed
        session.add(row(name=name, version=1))
        await session.flush()


async def read_version(session: AsyncSession, name: str) -> int:
    found = await session.scalar(select(DataVersionRow.version).where(DataVersionRow.name == name))
    return int(found or 0)


class VersionedCache[T]:
    """One kind of reference data held in memory with the version it was read at, and the `scope` it
    was read for (e.g. the horizon of rating picks; None where there is one)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._held: tuple[int, object, T] | None = None

    async def current(self, session: AsyncSession, scope: object = None) -> T | None:
        """What is held for `scope`, if nothing of its kind was written since; else None (the caller
        reads)."""
        if self._held is None or self._held[1] != scope:
            return None
        version, _, value = self._held
        return value if await read_version(session, self.name) == version else None

    async def refresh(
        self,
        sessions: async_sessionmaker[AsyncSession],
        load: Callable[[AsyncSession], Awaitable[T]],
        scope: object = None,
    ) -> T:
        """Read it all again with `load` (for `scope`), unless what is held is current for it."""
        async with sessions() as session:
            version = await read_version(session, self.name)
            if self._held is not None and self._held[:2] == (version, scope):
                return self._held[2]
            value = await load(session)
        self._held = (version, scope, value)
        return value
