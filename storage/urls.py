"""Database URL parsing: normalise drivers, mask passwords, explain what is wrong."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from core.errors import DatabaseUnavailableError

EXPECTED = "expected sqlite+aiosqlite:///path/to/file.db or mysql+aiomysql://user:password@host:3306/dbname"
_ASYNC_DRIVERS = {"sqlite": "aiosqlite", "mysql": "aiomysql", "mariadb": "aiomysql"}
_SYNC_ALIASES = {None, "", "pysqlite", "pymysql", "mysqldb", "aiosqlite", "aiomysql"}


def mask(url: str | URL) -> str:
    """The URL with its password replaced by ***; unparsable text is cut down to its scheme."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        return f"{scheme}://***"


def parse_url(raw: str) -> URL:
    """Parse and normalise a database URL to its async driver; raises DatabaseUnavailableError."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError) as exc:
        raise DatabaseUnavailableError(f"invalid database URL {mask(raw)!r}: {EXPECTED}") from exc
    try:
        backend, driver = url.get_backend_name(), url.get_driver_name()
    except NoSuchModuleError as exc:
        raise DatabaseUnavailableError(f"unsupported database URL {mask(url)!r}: {EXPECTED}") from exc
    if backend not in _ASYNC_DRIVERS or (url.drivername.count("+") and driver not in _SYNC_ALIASES):
        raise DatabaseUnavailableError(
            f"unsupported database driver {url.drivername!r} in {mask(url)!r}: {EXPECTED}"
        )
    url = url.set(drivername=f"{backend}+{_ASYNC_DRIVERS[backend]}")
    if backend == "sqlite":
        return url
    if not url.database:
        raise DatabaseUnavailableError(f"database URL {mask(url)!r} names no database: {EXPECTED}")
    if "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def scrub(message: str, url: URL) -> str:
    """One line of a driver's error message, with the password removed should it appear."""
    line = " ".join(str(message).split())
    if url.password:
        line = line.replace(str(url.password), "***")
    return line[:300]
