"""The container health check's database probe, with the drivers alone (stdlib sqlite3, aiomysql): no
SQLAlchemy, ORM models or Alembic to import, so `finsignal status --check` costs little more than
starting Python. Ready = the database answers and Alembic's version table holds a revision."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

_QUERY = "SELECT version_num FROM alembic_version"


def database_ready(raw_url: str, timeout_s: float = 5.0) -> bool:
    """True when the database at `raw_url` (a FINSIGNAL_DATABASE_URL) answers and has been migrated."""
    parts = urlsplit(raw_url.strip())
    backend = parts.scheme.split("+")[0]
    try:
        if backend == "sqlite":
            return _sqlite_ready(raw_url, timeout_s)
        if backend in ("mysql", "mariadb"):
            return asyncio.run(_mysql_ready(parts.hostname or "127.0.0.1", parts, timeout_s))
    except Exception:  # unreachable, no tables yet, wrong credentials: all "not ready"
        return False
    return False


def _sqlite_ready(raw_url: str, timeout_s: float) -> bool:
    database = raw_url.split(":///", 1)[1].split("?", 1)[0] if ":///" in raw_url else ""
    if database in ("", ":memory:") or not Path(database).exists():
        return False  # never create a database file from a health check
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=timeout_s) as conn:
        row = conn.execute(_QUERY).fetchone()
    return bool(row and row[0])


async def _mysql_ready(host: str, parts: object, timeout_s: float) -> bool:
    import aiomysql

    assert hasattr(parts, "path")
    conn = await aiomysql.connect(
        host=host,
        port=getattr(parts, "port", None) or 3306,
        user=unquote(getattr(parts, "username", None) or ""),
        password=unquote(getattr(parts, "password", None) or ""),
        db=parts.path.lstrip("/").split("?")[0],
        connect_timeout=timeout_s,
    )
    try:
        async with conn.cursor() as cur:
            await cur.execute(_QUERY)
            row = await cur.fetchone()
        return bool(row and row[0])
    finally:
        conn.close()
