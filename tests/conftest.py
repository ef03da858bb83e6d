"""Database fixtures for every test package.

- `sqlite_repos` / `sqlite_db`: a fresh, migrated SQLite file database in tmp_path (fast: copied
  from a template migrated once per session).
- `repos` / `db`: the same, parametrised over `sqlite` and `mariadb` (on a real server:
  FINSIGNAL_TEST_MYSQL_URL if set, else a private `mariadbd` started for the session; one database
  migrated per session and emptied before each test).
- `empty_db_url`: an empty, unmigrated database URL, parametrised the same way.
Without a MariaDB server the `mariadb` cases skip loudly; under CI=true they fail instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.ports import Repositories
from storage import Database
from storage.models import Base
from tests.fakes.mariadb import MySQLTestServer, start_mariadb

_TALLY: dict[str, Counter[str]] = {"sqlite": Counter(), "mariadb": Counter()}
_SERVER: list[str] = []  # what the mariadb cases ran against, for the summary

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"

    async def build() -> None:
        db = await Database.open(_sqlite_url(path), migrate=True)
        await db.close()

    # Its own thread and loop: it may first be needed from inside a running test loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, build()).result()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """URL of a fresh, migrated SQLite file database in tmp_path."""
    path = tmp_path / "finsignal.db"
    shutil.copyfile(sqlite_template, path)
    return _sqlite_url(path)


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    db = await Database.open(sqlite_url, migrate=False)
    yield db
    await db.close()


@pytest.fixture
def sqlite_repos(sqlite_db: Database) -> Repositories:
    """Every repository over a fresh, migrated SQLite database."""
    return sqlite_db.repos


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[MySQLTestServer | str]:
    """The MySQL/MariaDB server of the session, or the reason there is none."""
    given = MySQLTestServer.from_env()
    try:
        if given is not None:
            given.check()
        server = given or start_mariadb()
    except RuntimeError as exc:
        yield str(exc)
        return
    _SERVER.append(server.describe())
    yield server
    server.stop()  # a no-op for a given server


def _need_server(server: MySQLTestServer | str) -> MySQLTestServer:
    if isinstance(server, MySQLTestServer):
        return server
    message = (
        "!!! MariaDB NOT TESTED: no MariaDB/MySQL server available "
        f"({server.strip().splitlines()[0] if server.strip() else 'unknown reason'}). "
        "Install mariadb-server or set FINSIGNAL_TEST_MYSQL_URL."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} Under CI=true this is a failure.", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def mariadb_url(mysql_server: MySQLTestServer | str) -> Iterator[str]:
    """URL of a fresh, empty database on the session's MariaDB/MySQL server, dropped afterwards."""
    server = _need_server(mysql_server)
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, unmigrated database URL: `sqlite` (a file path not yet created) or `mariadb`."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path / "empty" / "finsignal.db")
    return str(request.getfixturevalue("mariadb_url"))


@pytest.fixture(scope="session")
def mariadb_session_url(mysql_server: MySQLTestServer | str) -> Iterator[str]:
    """A database migrated once per session; `db` empties it before each test."""
    server = _need_server(mysql_server)
    url = server.create_database("fs_session")

    async def build() -> None:
        database = await Database.open(url, migrate=True)
        await database.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, build()).result()
    yield url
    server.drop_database(url)


async def _empty_tables(database: Database) -> None:
    async with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """A fresh, migrated Database on `sqlite` and on `mariadb` (emptied before each test)."""
    if request.param == "sqlite":
        database = await Database.open(request.getfixturevalue("sqlite_url"), migrate=False)
    else:
        database = await Database.open(request.getfixturevalue("mariadb_session_url"), migrate=False)
        await _empty_tables(database)
    yield database
    await database.close()


@pytest.fixture
def repos(db: Database) -> Repositories:
    """Every repository over a fresh, migrated database; runs as [sqlite] and [mariadb]."""
    return db.repos


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count outcomes of the database-parametrised cases per backend."""
    for backend, tally in _TALLY.items():
        if f"[{backend}" in report.nodeid and (report.when == "call" or report.outcome != "passed"):
            tally[report.outcome] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per database backend, so every run shows that both were exercised."""
    if not any(_TALLY.values()):
        return
    terminalreporter.section("database backends")
    for backend, tally in _TALLY.items():
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.items())) or "not run"
        where = f" ({_SERVER[0]})" if backend == "mariadb" and _SERVER else ""
        loud = tally["skipped"] > 0 and not tally["passed"]
        terminalreporter.write_line(f"{backend}: {counts}{where}", red=loud, bold=loud)
