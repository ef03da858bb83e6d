"""What every repository shares: the session factory, dialect-aware upserts and chunking."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Dialect, Table, type_coerce
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import DateTime, NullType, TypeDecorator

from core.errors import DatabaseUnavailableError, StorageError
from storage.models import Base

CHUNK = 2000  # rows per executemany call
_MAX_PARAMS = 30_000  # bound parameters per statement (SQLite's limit is 32,766 since 3.32)


# MySQL client errors that mean the server is gone, not that the statement was wrong.
_UNAVAILABLE = {1045, 1049, 2002, 2003, 2005, 2006, 2013, 2055}


def _reason(exc: SQLAlchemyError) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return " ".join(str(orig).split())[:300]


def database_gone(exc: SQLAlchemyError) -> bool:
    """Whether `exc` means the database cannot be reached (not that the statement was wrong)."""
    if not isinstance(exc, OperationalError):
        return False
    args = exc.orig.args if exc.orig is not None else ()
    code = args[0] if args else None
    return bool(exc.connection_invalidated) or code in _UNAVAILABLE or "unable to open" in _reason(exc)


def _guard(name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Turn SQLAlchemy errors into core's StorageError / DatabaseUnavailableError (callers outside
    storage never see SQLAlchemy types); the transaction has been rolled back by then."""

    @functools.wraps(method)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except SQLAlchemyError as exc:
            if database_gone(exc):
                raise DatabaseUnavailableError(f"database unavailable in {name}: {_reason(exc)}") from exc
            raise StorageError(f"{name} failed: {_reason(exc)}") from exc

    return guarded


class Repo:
    """Base of the repositories: holds the session factory and the dialect name.

    Every public coroutine method of a subclass is wrapped so SQLAlchemy errors leave as StorageError.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attr, value in list(vars(cls).items()):
            if not attr.startswith("_") and inspect.iscoroutinefunction(value):
                setattr(cls, attr, _guard(f"{cls.__name__}.{attr}", value))

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

    async def _insert_ignore_many(
        self, conn: AsyncConnection, model: type[Base], rows: Sequence[dict[str, Any]], chunk: int = 500
    ) -> int:
        """`_insert_ignore` of many rows with the same keys, as driver-level executemany calls: the
        statement text is built once and each column's SQLAlchemy bind processing (dates, JSON) runs
        once per distinct value, not once per cell (`Binder`); SQLite runs one prepared statement,
        aiomysql sends multi-row INSERTs. For the alert fan-out, where per-cell parameter processing
        was most of the time (bench/README.md). Rows inserted (existing keys skipped)."""
        if not rows:
            return 0
        names, tuples = bound_rows(conn, model, rows)
        return await insert_ignore_tuples(conn, model, names, tuples, chunk)


def bound_rows(
    conn: AsyncConnection, model: type[Base], rows: Sequence[dict[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Rows with the same keys as (their column names, one driver-ready tuple per row) (`Binder`)."""
    names = list(rows[0]) if rows else []
    bind = Binder(table_of(model), conn.dialect)
    return names, [tuple(bind(n, v) for n, v in zip(names, row.values(), strict=True)) for row in rows]


async def insert_ignore_tuples(
    conn: AsyncConnection,
    model: type[Base],
    names: Sequence[str],
    tuples: Sequence[tuple[Any, ...]],
    chunk: int = 500,
) -> int:
    """Rows already bound for the driver (`Binder`), in `names` order, inserted with existing keys
    skipped; rows inserted."""
    head, group = _insert_ignore(conn, model, names)
    sql = head + group
    inserted = 0
    for part in chunked(tuples, chunk):
        result = await conn.exec_driver_sql(sql, list(part))
        inserted += max(result.rowcount, 0)
    return inserted


def _insert_ignore(conn: AsyncConnection, model: type[Base], names: Sequence[str]) -> tuple[str, str]:
    """The text of an INSERT-IGNORE of `names` into `model` up to VALUES, and one row's placeholders."""
    prep = conn.dialect.identifier_preparer
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    verb = "INSERT OR IGNORE" if conn.dialect.name == "sqlite" else "INSERT IGNORE"
    columns = ", ".join(prep.quote(n) for n in names)
    row = f"({', '.join([marker] * len(names))})"
    return f"{verb} INTO {prep.format_table(table_of(model))} ({columns}) VALUES ", row


async def insert_ignore_returning(
    conn: AsyncConnection,
    model: type[Base],
    names: Sequence[str],
    tuples: Sequence[tuple[Any, ...]],
    returning: Sequence[str],
    rows_per_statement: int = 1000,
) -> list[Sequence[Any]]:
    """`insert_ignore_tuples` as multi-row INSERTs with a RETURNING clause (SQLite 3.35+, MariaDB
    10.5+: `dialect.insert_returning`): the `returning` columns, raw, of exactly the rows these
    statements inserted (a key that existed is skipped and returns nothing)."""
    head, group = _insert_ignore(conn, model, names)
    tail = f" RETURNING {', '.join(conn.dialect.identifier_preparer.quote(n) for n in returning)}"
    size = max(1, min(rows_per_statement, _MAX_PARAMS // max(len(names), 1)))
    out: list[Sequence[Any]] = []
    for part in chunked(tuples, size):
        sql = head + ", ".join([group] * len(part)) + tail
        result = await conn.exec_driver_sql(sql, tuple(v for row in part for v in row))
        out += result.all()
    return out


class Binder:
    """A column value as the driver takes it (SQLAlchemy's bind processing: dates, JSON, booleans),
    computed once per distinct value of the column: batches repeat the same few values."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self._procs: dict[str, Callable[[Any], Any] | None] = {
            c.name: _processor(c, dialect) for c in table.c
        }
        self._memo: dict[str, dict[Any, Any]] = {name: {} for name in self._procs}

    def __call__(self, name: str, value: Any) -> Any:
        proc = self._procs[name]
        if proc is None or value is None:
            return value
        memo = self._memo[name]
        try:
            done = memo.get(value, memo)
        except TypeError:  # unhashable (a dict): processed as it is
            return proc(value)
        if done is memo:
            done = memo[value] = proc(value)
        return done


class Decoder:
    """Columns selected raw (`columns`: no result processing by SQLAlchemy) and decoded as SQLAlchemy
    would (dates, JSON, booleans), once per distinct stored value: a batch read of thousands of rows
    repeats the same few dates and parameter sets."""

    def __init__(self, columns: Sequence[Column[Any]], dialect: Dialect) -> None:
        self.columns = [type_coerce(c, NullType()).label(c.name) for c in columns]
        self._procs = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        self._memos: list[dict[Any, Any]] = [{} for _ in columns]

    def __call__(self, row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for i, proc in enumerate(self._procs):
            value = out[i]
            if proc is None or value is None:
                continue
            memo = self._memos[i]
            done = memo.get(value, memo)
            if done is memo:
                done = memo[value] = proc(value)
            out[i] = done
        return out


def table_of(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def chunked[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """`column`'s bind processing; on MySQL a date-time ends as the text PyMySQL would write for it, so
    that the driver escapes a string (one `str.replace`) in place of formatting a datetime per cell:
    a close's inserts hold ~6,600 of them, 20 ms of CPU (bench/README.md, "Stop 38")."""
    proc = column.type.dialect_impl(dialect).bind_processor(dialect)
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if dialect.name not in ("mysql", "mariadb") or not isinstance(kind, DateTime):
        return proc

    def as_text(value: Any) -> Any:
        value = proc(value) if proc is not None else value
        return value.replace(tzinfo=None).isoformat(" ") if isinstance(value, datetime) else value

    return as_text
