"""Make a real database refuse writes the way it does when its file is read-only or its disk is full.

As root (tests and CI run as root) file modes do not stop SQLite, and a WAL file that already has
room takes writes on a full disk, so the refusal is raised where the driver would raise it: every
INSERT/UPDATE/DELETE fails with the driver's own error and message (SQLite: "attempt to write a
readonly database", "database or disk is full"; MariaDB: 1290 read-only, 1021 disk full) while reads
go on working, until `clear()`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import aiomysql
from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage import Database

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_SQLITE = {
    "read_only": "attempt to write a readonly database",
    "disk_full": "database or disk is full",
}
_MYSQL = {
    "read_only": (1290, "The MariaDB server is running with the --read-only option"),
    "disk_full": (1021, "Disk full (/var/lib/mysql); waiting for someone to free some space..."),
}


class StorageFaults:
    """On one database (`db`), or on every engine of the process (`db=None`: for an app that opens
    its own). Use as a context manager, or call `close()`, to remove the hook."""

    def __init__(self, db: Database | None = None) -> None:
        self.mode: str | None = None
        self.refused = 0
        self._target: Any = db.engine.sync_engine if db is not None else Engine
        event.listen(self._target, "before_cursor_execute", self._check)

    def close(self) -> None:
        self.mode = None
        if event.contains(self._target, "before_cursor_execute", self._check):
            event.remove(self._target, "before_cursor_execute", self._check)

    def __enter__(self) -> StorageFaults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set(self, mode: str) -> None:
        assert mode in _SQLITE
        self.mode = mode

    def clear(self) -> None:
        self.mode = None

    def _check(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if self.mode is None or statement.lstrip().split(None, 1)[0].upper() not in WRITES:
            return
        self.refused += 1
        if conn.dialect.name == "sqlite":
            raise sqlite3.OperationalError(_SQLITE[self.mode])
        code, text = _MYSQL[self.mode]
        raise aiomysql.OperationalError(code, text)
