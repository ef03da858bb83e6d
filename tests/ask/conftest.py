"""A database loaded with the fixture data once per session, on SQLite and on MariaDB (with a
SELECT-only user, as ask/README.md tells operators to create), and an AskService over it."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ask.schema import TABLES
from ask.service import AskService
from storage import Database
from storage.readonly import open_readonly
from tests.ask import fixture_data
from tests.conftest import BACKENDS, _need_server
from tests.fakes.mariadb import MySQLTestServer


@dataclass(frozen=True)
class Loaded:
    backend: str
    url: str  # read-write (the application's)
    ro_url: str  # what questions run on


def _build(url: str) -> None:
    async def build() -> None:
        db = await Database.open(url, migrate=True)
        try:
            await fixture_data.load(db.repos)
            await fixture_data.load_private(db.repos)
        finally:
            await db.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, build()).result()


def _readonly_user(server: MySQLTestServer, url: str) -> str:
    """A user with SELECT on the allowed tables only (the documented production setup)."""
    parsed = make_url(url)
    user, password = f"ask_{secrets.token_hex(3)}", secrets.token_hex(12)
    with server._admin() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
        for table in TABLES:
            cur.execute(f"GRANT SELECT ON `{parsed.database}`.`{table}` TO '{user}'@'%'")
    return parsed.set(username=user, password=password).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def loaded_sqlite(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    path = tmp_path_factory.mktemp("ask") / "ask.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    _build(url)
    return Loaded("sqlite", url, url)


@pytest.fixture(scope="session", params=BACKENDS)
def loaded(request: pytest.FixtureRequest) -> Iterator[Loaded]:
    if request.param == "sqlite":
        yield request.getfixturevalue("loaded_sqlite")
        return
    server = _need_server(request.getfixturevalue("mysql_server"))
    url = server.create_database("fs_ask")
    _build(url)
    yield Loaded("mariadb", url, _readonly_user(server, url))
    server.drop_database(url)


@pytest.fixture
async def ask_db(loaded: Loaded) -> AsyncIterator[Database]:
    db = await Database.open(loaded.url, migrate=False)
    yield db
    await db.close()


@pytest.fixture
async def sqlite_ask_db(loaded_sqlite: Loaded) -> AsyncIterator[Database]:
    db = await Database.open(loaded_sqlite.url, migrate=False)
    yield db
    await db.close()


@pytest.fixture
async def service(loaded: Loaded, ask_db: Database) -> AsyncIterator[AskService]:
    queries = open_readonly(loaded.ro_url, tables=TABLES, timeout_s=3.0)
    yield AskService(queries, ask_db.repos, dialect=ask_db.dialect)
    await queries.close()


def copy_sqlite(loaded: Loaded, tmp_path: Path) -> str:
    """A private copy of the loaded SQLite file (for tests that try to damage it)."""
    source = make_url(loaded.url).database
    assert source is not None
    target = tmp_path / "copy.db"
    shutil.copyfile(source, target)
    return f"sqlite+aiosqlite:///{target}"
