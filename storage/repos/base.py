"""What every repository shares: the session factory, dialect-aware upserts and chunking."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Insert

from storage.models import Base

CHUNK = 2000  # rows per executemany call


class Repo:
    """Base of the repositories: holds the session factory and the dialect name."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str) -> None:
        self._sessions = sessions
        self._dialect = dialect

    def _upsert(self, model: type[Base], keys: Sequence[str], update: Sequence[str]) -> Insert:
        """INSERT that replaces the `update` columns of an existing row with the same `keys`."""
        table = table_of(model)
        if self._dialect == "sqlite":
            stmt = sqlite.insert(table)
            return stmt.on_conflict_do_update(
                index_elements=list(keys), set_={col: stmt.excluded[col] for col in update}
            )
        if self._dialect in ("mysql", "mariadb"):
            mstmt = mysql.insert(table)
            return mstmt.on_duplicate_key_update({col: mstmt.inserted[col] for col in update})
        raise NotImplementedError(f"upsert not implemented for dialect {self._dialect!r}")

    def _insert_ignore(self, model: type[Base]) -> Insert:
        """INSERT that silently skips rows whose unique key already exists (rowcount 0)."""
        table = table_of(model)
        if self._dialect == "sqlite":
            return sqlite.insert(table).on_conflict_do_nothing()
        if self._dialect in ("mysql", "mariadb"):
            return mysql.insert(table).prefix_with("IGNORE")
        raise NotImplementedError(f"insert-ignore not implemented for dialect {self._dialect!r}")


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def chunked[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
