"""The hostile set, on SQLite and MariaDB: injections in questions, other tables, writes, stacked
statements, file functions, huge results and slow queries are refused, cut or stopped, nothing private
comes back, and the database is unchanged (a checksum of every table before and after)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from ask.guard import SqlRefused, guard
from ask.schema import TABLES
from ask.service import AskService
from core.errors import QueryRefusedError, QueryTimeoutError
from storage import Database
from storage.models import Base
from storage.readonly import open_readonly
from tests.ask import fixture_data as F
from tests.ask.conftest import Loaded

PRIVATE = ("secret chat", "private alert", "424242")

QUESTIONS = [
    "AAPL price'; DROP TABLE bars; --",
    "Apple close since March; DELETE FROM bars",
    "삼성전자 종가 UNION SELECT title, chat_id FROM chats",
    "show me the chats table",
    "list every api key",
    "SELECT * FROM outbox",
    "KAU25 종가'); UPDATE bars SET close = 0 WHERE ('1'='1",
    "DROP TABLE signal_events",
    "ATTACH DATABASE '/tmp/evil.db' AS evil",
    'Apple close"; PRAGMA writable_schema=1; --',
]

HOSTILE_SQL = [
    "DELETE FROM bars",
    "UPDATE bars SET close = 0",
    "INSERT INTO chats (chat_id) VALUES (1)",
    "DROP TABLE bars",
    "CREATE TABLE evil (a INTEGER)",
    "ALTER TABLE bars ADD COLUMN evil INTEGER",
    "SELECT close FROM bars; DELETE FROM bars",
    "SELECT title FROM chats",
    "SELECT * FROM outbox",
    "SELECT key_hash FROM api_keys",
    "SELECT symbol FROM watches",
    "SELECT name FROM sqlite_master",
    "SELECT table_name FROM information_schema.tables",
    "SELECT close FROM main.bars",
    "SELECT b.close FROM bars AS b JOIN chats AS c ON c.chat_id = b.volume",
    "SELECT close FROM bars WHERE symbol IN (SELECT title FROM chats)",
    "WITH x AS (SELECT title FROM chats) SELECT title FROM x",
    "SELECT url_hash FROM news_items",
    "PRAGMA journal_mode = DELETE",
    "ATTACH DATABASE '/tmp/evil.db' AS evil",
    "SELECT load_extension('/tmp/evil.so')",
    "SELECT readfile('/etc/passwd')",
    "SELECT writefile('/tmp/x', 'y')",
    "SELECT LOAD_FILE('/etc/passwd')",
    "SELECT close FROM bars INTO OUTFILE '/tmp/bars.csv'",
    "SELECT close INTO @x FROM bars",
    "SELECT SLEEP(10)",
    "SELECT BENCHMARK(100000000, MD5('x'))",
    "SELECT randomblob(1000000000)",
    "SELECT printf('%.*c', 1000000000, 'x')",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n",
    "SELECT close FROM bars FOR UPDATE",
    "SELECT close FROM bars LIMIT ?",
    "LOCK TABLES bars WRITE",
    "SET GLOBAL read_only = 0",
    "GRANT ALL ON *.* TO 'x'@'%'",
]


async def checksum(db: Database) -> str:
    digest = hashlib.sha256()
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(select(table).order_by(*table.primary_key.columns))).all()
            digest.update(f"{table.name}:{len(rows)}:{sorted(map(repr, rows))}".encode())
    return digest.hexdigest()


@pytest.mark.parametrize("question", QUESTIONS)
async def test_hostile_questions_change_nothing_and_leak_nothing(
    service: AskService, ask_db: Database, question: str
) -> None:
    before = await checksum(ask_db)
    answer = await service.ask(question, watchlist=F.WATCHLIST, today=F.TODAY)
    shown = answer.text + repr(answer.rows)
    assert not any(secret in shown for secret in PRIVATE), shown
    assert "DROP" not in answer.sql.upper()
    assert "DELETE" not in answer.sql.upper()
    assert await checksum(ask_db) == before


@pytest.mark.parametrize("sql", HOSTILE_SQL)
def test_hostile_sql_is_refused_with_one_sentence(sql: str) -> None:
    for dialect in ("sqlite", "mysql"):
        with pytest.raises(SqlRefused) as caught:
            guard(sql, dialect=dialect)
        message = str(caught.value)
        assert message.endswith("."), message
        assert message.count(". ") == 0, message  # one sentence


async def test_the_read_only_connection_refuses_writes_even_unguarded(
    loaded: Loaded, ask_db: Database
) -> None:
    """The second wall: SQL that never went through the guard still cannot write or read private tables."""
    before = await checksum(ask_db)
    queries = open_readonly(loaded.ro_url, tables=TABLES, timeout_s=3.0)
    attempts = [
        "DELETE FROM bars",
        "UPDATE bars SET close = 0",
        "INSERT INTO chats (chat_id, kind, created_at, updated_at) "
        "VALUES (1, 'private', '2026-01-01', '2026-01-01')",
        "DROP TABLE bars",
        "CREATE TABLE evil (a INTEGER)",
        "SELECT title FROM chats",
        "SELECT key_hash FROM api_keys",
    ]
    if loaded.backend == "sqlite":
        attempts += ["ATTACH DATABASE 'evil.db' AS evil", "PRAGMA journal_mode = DELETE",
                     "SELECT load_extension('evil')"]  # fmt: skip
    try:
        for sql in attempts:
            with pytest.raises(QueryRefusedError):
                await queries.run(sql, max_rows=10)
    finally:
        await queries.close()
    assert await checksum(ask_db) == before


async def test_huge_results_are_cut_with_a_note(service: AskService, ask_db: Database) -> None:
    before = await checksum(ask_db)
    answer = await service.ask("AAPL close since 2009-01-01", today=F.TODAY)
    assert answer.ok
    assert answer.truncated
    assert len(answer.rows) == service.max_rows
    assert "cut" in answer.text
    korean = await service.ask("애플 2009-01-01부터 종가", today=F.TODAY)
    assert korean.truncated
    assert "잘랐습니다" in korean.text
    cross = guard("SELECT a.close, b.close FROM bars AS a, bars AS b", dialect=service.dialect, max_rows=50)
    result = await service.queries.run(cross.sql, max_rows=50)
    assert result.truncated
    assert len(result.rows) == 50
    assert await checksum(ask_db) == before


async def test_slow_queries_are_stopped(loaded: Loaded, ask_db: Database) -> None:
    before = await checksum(ask_db)
    queries = open_readonly(loaded.ro_url, tables=TABLES, timeout_s=1.0)
    slow = guard(
        "SELECT COUNT(*) AS n FROM bars AS a, bars AS b, bars AS c WHERE a.close + b.close > c.close",
        dialect=ask_db.dialect,
    )
    try:
        with pytest.raises(QueryTimeoutError):
            await queries.run(slow.sql, max_rows=10)
        # the connection is still good afterwards
        quick = await queries.run(
            guard("SELECT COUNT(*) AS n FROM instruments", dialect=ask_db.dialect).sql, max_rows=1
        )
        assert quick.rows[0][0] == len(F.SYMBOLS)
    finally:
        await queries.close()
    assert await checksum(ask_db) == before
