"""Read-only queries for questions in plain words (issue 23): the second wall behind `ask.guard`.

SQLite: a separate `sqlite3` connection opened with `mode=ro` (the file cannot be written through it),
`PRAGMA query_only`, an authorizer that allows only SELECT, reads of the allowed tables and plain
functions (no ATTACH, PRAGMA, load_extension, writefile ...), and a progress handler that stops a
query past its time limit. MySQL/MariaDB: its own small pool (ideally on a SELECT-only user, see
ask/README.md), every query in `START TRANSACTION READ ONLY` with the server's statement time limit
(`max_statement_time` on MariaDB, `max_execution_time` on MySQL) and a client-side deadline as well.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import Collection
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.errors import DatabaseUnavailableError, QueryRefusedError, QueryTimeoutError
from core.ports import QueryResult
from storage.urls import mask, parse_url, sqlite_path

logger = logging.getLogger(__name__)

_TS = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "zeroblob"}
_PROGRESS_STEPS = 1000  # SQLite VM instructions between deadline checks


def _value(value: object) -> object:
    """Portable cell values: Decimal -> float, datetime -> aware UTC, date -> ISO text, bytes hidden."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, str) and _TS.match(value):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def _result(columns: list[str], rows: list[Any], max_rows: int) -> QueryResult:
    kept = rows[:max_rows]
    return QueryResult(
        columns=tuple(columns),
        rows=tuple(tuple(_value(v) for v in row) for row in kept),
        truncated=len(rows) > max_rows,
    )


class SQLiteReadOnly:
    """`ReadOnlyQueries` on a SQLite file; each query on a fresh `mode=ro` connection in a thread."""

    def __init__(self, path: str, *, tables: Collection[str], timeout_s: float) -> None:
        self.path = path
        self.tables = {t.lower() for t in tables}
        self.timeout_s = timeout_s

    def _authorize(self, action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_SELECT:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            return sqlite3.SQLITE_OK if (arg1 or "").lower() in self.tables else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            return sqlite3.SQLITE_DENY if name in _DENIED_FUNCTIONS else sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    def _run(self, sql: str, max_rows: int) -> QueryResult:
        deadline = time.monotonic() + self.timeout_s
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.timeout_s)
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.set_authorizer(self._authorize)
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), _PROGRESS_STEPS)
            try:
                cursor = conn.execute(sql)
                rows = cursor.fetchmany(max_rows + 1)
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise QueryTimeoutError(f"stopped after {self.timeout_s:g} s") from None
                raise QueryRefusedError(str(exc)) from None
            except sqlite3.DatabaseError as exc:
                raise QueryRefusedError(str(exc)) from None
            columns = [d[0] for d in cursor.description or ()]
            return _result(columns, rows, max_rows)
        finally:
            conn.close()

    async def run(self, sql: str, *, max_rows: int) -> QueryResult:
        return await asyncio.to_thread(self._run, sql, max_rows)

    async def close(self) -> None:
        return None


class MySQLReadOnly:
    """`ReadOnlyQueries` on MySQL/MariaDB: read-only transactions with the server's statement limit."""

    def __init__(self, engine: AsyncEngine, *, timeout_s: float) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self._limit_sql: str | None = None

    async def _limit_statement(self, conn: Any) -> str:
        if self._limit_sql is None:
            version = str((await conn.exec_driver_sql("SELECT VERSION()")).scalar() or "")
            if "mariadb" in version.lower():
                self._limit_sql = f"SET SESSION max_statement_time = {self.timeout_s:.3f}"
            else:
                self._limit_sql = f"SET SESSION max_execution_time = {int(self.timeout_s * 1000)}"
        return self._limit_sql

    async def _run(self, sql: str, max_rows: int) -> QueryResult:
        async with self.engine.connect() as base:
            conn = await base.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(await self._limit_statement(conn))
            await conn.exec_driver_sql("START TRANSACTION READ ONLY")
            try:
                result = await conn.exec_driver_sql(sql.replace("%", "%%"))
                rows = list(result.fetchmany(max_rows + 1))
                columns = list(result.keys())
            finally:
                await conn.exec_driver_sql("ROLLBACK")
        return _result(columns, rows, max_rows)

    async def run(self, sql: str, *, max_rows: int) -> QueryResult:
        try:
            return await asyncio.wait_for(self._run(sql, max_rows), self.timeout_s + 2.0)
        except TimeoutError:
            raise QueryTimeoutError(f"stopped after {self.timeout_s:g} s") from None
        except DBAPIError as exc:
            text = str(exc.orig) if exc.orig is not None else str(exc)
            if "max_statement_time" in text or "maximum statement execution time" in text.lower():
                raise QueryTimeoutError(f"stopped after {self.timeout_s:g} s") from None
            raise QueryRefusedError(text.split("\n")[0][:200]) from None

    async def close(self) -> None:
        await self.engine.dispose()


def open_readonly(
    url: str, *, tables: Collection[str], timeout_s: float = 5.0
) -> SQLiteReadOnly | MySQLReadOnly:
    """The read-only query runner for a database URL (the main URL, or a read-only user's)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is None:
            raise DatabaseUnavailableError("questions need a SQLite file database, not an in-memory one")
        return SQLiteReadOnly(str(path), tables=tables, timeout_s=timeout_s)
    engine = create_async_engine(parsed, pool_size=2, max_overflow=2, pool_pre_ping=True, pool_recycle=3600)
    logger.info("read-only queries on %s", mask(parsed))
    return MySQLReadOnly(engine, timeout_s=timeout_s)
