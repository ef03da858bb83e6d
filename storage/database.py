"""`Database`: the engine, migrations and the repositories behind one object."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

from core.errors import DatabaseUnavailableError, StorageError
from core.ports import Repositories
from storage import migrate
from storage.repos import build_repositories
from storage.urls import mask, parse_url, scrub, sqlite_path

logger = logging.getLogger(__name__)

DEFAULT_URL = "sqlite+aiosqlite:///var/finsignal.db"
CONNECT_TIMEOUT_S = 10
POOL_RECYCLE_S = 3600
WAL_SWITCH_TIMEOUT_S = 30
LOCK = "finsignal:migrate:"  # + database name: the MySQL named lock held while migrating


_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _migration_lock() -> asyncio.Lock:
    """One lock per event loop (an asyncio.Lock must not cross loops)."""
    loop = asyncio.get_running_loop()
    lock = _LOCKS.get(loop)
    if lock is None:
        lock = _LOCKS[loop] = asyncio.Lock()
    return lock


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Busy timeout first, then WAL (persistent in the file, so only the first connection switches).

    Switching to WAL needs a moment of exclusive access and SQLite answers "database is locked" at
    once, without its busy handler, when another connection is opening the same new file: retry.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=30000")
        deadline = time.monotonic() + WAL_SWITCH_TIMEOUT_S
        while True:
            try:
                cursor.execute("PRAGMA journal_mode")
                row = cursor.fetchone()
                if row is None or str(row[0]).lower() != "wal":
                    cursor.execute("PRAGMA journal_mode=WAL")
                break
            except Exception as exc:  # the adapter re-raises sqlite3's error as its own class
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01 + random.random() * 0.04)
        for pragma in ("foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


# Quotes are escaped by doubling them, backslashes are plain characters: aiomysql then escapes a string
# parameter with one str.replace instead of PyMySQL's str.translate, which walks a non-ASCII text
# character by character through a dict (13 us for an alert's 300 characters; 90 ms of CPU for one
# close's outbox on MariaDB, bench/README.md "Stop 36"). SQLAlchemy reads the session's sql_mode when it
# first connects and renders literals (LIKE ... ESCAPE) for it. The read-only engine of questions keeps
# the server's mode: the SQL it runs is written for the usual one.
NO_BACKSLASH_ESCAPES = (
    "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_BACKSLASH_ESCAPES')"
)


def _make_engine(url: URL, echo: bool) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None:
            engine = create_async_engine(url, echo=echo, poolclass=StaticPool)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_recycle=POOL_RECYCLE_S,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "init_command": NO_BACKSLASH_ESCAPES},
    )


class Database:
    """An open database. Build it with `await Database.open(url)`; `.repos` holds every repository."""

    def __init__(self, engine: AsyncEngine, url: URL) -> None:
        self.engine = engine
        self.url = url
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.repos: Repositories = build_repositories(self.sessions, engine.dialect.name)

    @classmethod
    async def open(cls, url: str = DEFAULT_URL, *, migrate: bool = True, echo: bool = False) -> Database:
        """Connect (creating a SQLite file and its directory if needed) and, by default, migrate.

        Raises DatabaseUnavailableError, with the password masked, when the URL is wrong or the
        server cannot be reached.
        """
        parsed = parse_url(url)
        try:
            engine = _make_engine(parsed, echo)
        except (OSError, ImportError, SQLAlchemyError) as exc:
            raise DatabaseUnavailableError(
                f"cannot open database {mask(parsed)}: {scrub(str(exc), parsed)}"
            ) from exc
        db = cls(engine, parsed)
        try:
            await db.ping()
            if migrate:
                await db.upgrade()
        except BaseException:
            await engine.dispose()
            raise
        logger.info("database open: %s (%s)", mask(parsed), db.dialect)
        return db

    @property
    def dialect(self) -> str:
        """'sqlite' or 'mysql' (MariaDB reports 'mysql' too)."""
        return self.engine.dialect.name

    @property
    def masked_url(self) -> str:
        return mask(self.url)

    async def ping(self) -> None:
        """Run `SELECT 1`; raises DatabaseUnavailableError when the database cannot be reached."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # whatever the driver raises here means "cannot connect": one line
            reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
            text_ = scrub(str(reason), self.url) or type(reason).__name__
            raise DatabaseUnavailableError(f"cannot reach database {mask(self.url)}: {text_}") from exc

    async def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to `revision` (idempotent).

        Serialised within the process (Alembic's `context` is module-global) and, on MySQL/MariaDB,
        across processes starting at the same time by a named server lock.
        """
        mysql = self.dialect != "sqlite"
        lock_name = (LOCK + str(self.url.database))[:64]  # MySQL's limit on lock names
        try:
            async with _migration_lock(), self.engine.connect() as conn:
                if mysql:  # a named lock belongs to the session: it outlives the commit below
                    lock = text("SELECT GET_LOCK(:name, :wait)")
                    got = await conn.scalar(lock, {"name": lock_name, "wait": 120})
                    await conn.commit()
                    if got != 1:
                        raise StorageError(f"another process holds the migration lock on {mask(self.url)}")
                try:
                    async with conn.begin():
                        await conn.run_sync(migrate.upgrade, revision)
                finally:
                    if mysql:
                        await conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": lock_name})
                        await conn.commit()
        except DBAPIError as exc:
            raise StorageError(
                f"migration failed on {mask(self.url)}: {scrub(str(exc.orig), self.url)}"
            ) from exc

    async def revision(self) -> str | None:
        """The migration revision the database is at (None: never migrated)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(migrate.current_revision)

    async def close(self) -> None:
        """Dispose of the connection pool."""
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
