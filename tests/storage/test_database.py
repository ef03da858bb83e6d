"""Database.open, migrations and errors, on both databases where a server is involved."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url

from core.errors import DatabaseUnavailableError
from storage import Database, mask
from storage import migrate as migrations
from storage.models import Base

TABLES = {
    "instruments",
    "bars",
    "chats",
    "watches",
    "signal_events",
    "outbox",
    "outbox_fanouts",
    "data_versions",
    "news_items",
    "ratings",
    "fetch_cursors",
    "state_blobs",
    "leases",
    "job_runs",
    "source_health",
}


def _schema_diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def test_migrations_upgrade_from_empty_and_match_the_models(empty_db_url: str) -> None:
    db = await Database.open(empty_db_url, migrate=False)
    try:
        assert await db.revision() is None
        await db.upgrade()
        assert await db.revision() == migrations.head_revision()
        await db.upgrade()  # idempotent
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_tables) >= TABLES
            assert await conn.run_sync(_schema_diff) == []
        async with db.engine.begin() as conn:
            await conn.run_sync(migrations.downgrade, "base")
        async with db.engine.connect() as conn:
            assert not TABLES & await conn.run_sync(_tables)
        await db.upgrade()
        assert await db.revision() == migrations.head_revision()
    finally:
        await db.close()


async def test_open_migrates_by_default(empty_db_url: str) -> None:
    async with await Database.open(empty_db_url) as db:
        assert await db.revision() == migrations.head_revision()
        await db.ping()
        assert db.dialect in ("sqlite", "mysql")
        assert "***" in db.masked_url or db.dialect == "sqlite"


async def test_sqlite_file_and_directory_created_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "finsignal.db"
    db = await Database.open(f"sqlite:///{path}")  # a sync driver name is switched to aiosqlite
    try:
        assert path.exists()
        assert db.url.drivername == "sqlite+aiosqlite"
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await db.close()


async def test_in_memory_sqlite_works(tmp_path: Path) -> None:
    async with await Database.open("sqlite+aiosqlite:///:memory:") as db:
        await db.repos.state.put_state("k", b"v")
        assert await db.repos.state.get_state("k") == b"v"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("this is not a url", "invalid database URL"),
        ("postgresql+asyncpg://bob:S3cretPw@db/finsignal", "unsupported database driver"),
        ("mysql+mysqlconnector://bob:S3cretPw@db/finsignal", "unsupported database driver"),
        ("mysql+aiomysql://bob:S3cretPw@127.0.0.1:3306", "names no database"),
        ("mysql+aiomysql://bob:S3cretPw@127.0.0.1:{port}/finsignal", "cannot reach database"),
    ],
)
async def test_bad_urls_raise_a_clear_error_without_the_password(url: str, expected: str) -> None:
    with pytest.raises(DatabaseUnavailableError) as info:
        await Database.open(url.format(port=_closed_port()))
    message = str(info.value)
    assert expected in message
    assert "S3cretPw" not in message
    assert "\n" not in message


async def test_unusable_sqlite_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnavailableError, match="cannot"):
        await Database.open(f"sqlite+aiosqlite:///{blocker}/sub/finsignal.db")


@pytest.mark.mariadb
async def test_wrong_password_is_a_clear_error_without_it(mariadb_url: str) -> None:
    url = make_url(mariadb_url).set(password="Wr0ngS3cret!")
    with pytest.raises(DatabaseUnavailableError) as info:
        await Database.open(url.render_as_string(hide_password=False))
    message = str(info.value)
    assert "Access denied" in message
    assert "Wr0ngS3cret" not in message
    assert "***" in message


@pytest.mark.mariadb
async def test_unknown_database_is_a_clear_error(mariadb_url: str) -> None:
    url = make_url(mariadb_url).set(database="does_not_exist_here")
    with pytest.raises(DatabaseUnavailableError, match="does_not_exist_here"):
        await Database.open(url.render_as_string(hide_password=False))


def test_mask_hides_passwords() -> None:
    assert mask("mysql+aiomysql://bob:pw@h:3306/db") == "mysql+aiomysql://bob:***@h:3306/db"
    assert mask("sqlite+aiosqlite:///var/finsignal.db") == "sqlite+aiosqlite:///var/finsignal.db"
    assert "hunter2" not in mask("garbage://bob:hunter2@")


def test_alembic_cli_with_the_repo_ini(tmp_path: Path) -> None:
    """Developers run `alembic upgrade head` from the repo root; the URL comes from the environment."""
    root = Path(__file__).resolve().parents[2]
    path = tmp_path / "cli" / "finsignal.db"
    env = {**os.environ, "FINSIGNAL_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini"), "upgrade", "head"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Running upgrade  -> 0001" in done.stderr
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert names >= TABLES
    assert version == migrations.head_revision()


def test_mysql8_caching_sha2_full_auth_is_possible() -> None:
    """MySQL 8 (docker-compose) defaults to caching_sha2_password; over plain TCP its first login
    RSA-encrypts the password, which aiomysql can only do with `cryptography` installed."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pymysql import _auth  # type: ignore[import-untyped]  # the module aiomysql authenticates with

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert len(_auth.sha2_rsa_encrypt(b"s3cret", b"0123456789abcdefghij", pem)) == 256


async def test_two_processes_migrating_at_once(empty_db_url: str) -> None:
    """Two services starting together on one empty database both come up at head."""
    dbs = list(await asyncio.gather(Database.open(empty_db_url), Database.open(empty_db_url)))
    try:
        assert [await db.revision() for db in dbs] == [migrations.head_revision()] * 2
    finally:
        for db in dbs:
            await db.close()


async def test_many_connections_opening_a_new_sqlite_file_at_once(tmp_path: Path) -> None:
    """The switch to WAL on a brand-new file can meet "database is locked" without a busy wait.

    Four engines opening each of 25 fresh files together used to fail about one round in twenty.
    """
    for round_ in range(25):
        url = f"sqlite+aiosqlite:///{tmp_path / str(round_) / 'finsignal.db'}"
        dbs = list(await asyncio.gather(*(Database.open(url) for _ in range(4))))
        try:
            assert [await db.revision() for db in dbs] == [migrations.head_revision()] * 4
            async with dbs[0].engine.connect() as conn:
                assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        finally:
            for db in dbs:
                await db.close()
