"""Named storage conditions, read from a database error without importing any database library.

`classify(exc)` walks the exception, its `orig` (SQLAlchemy's DBAPI wrapper) and its causes, and
names the condition that status pages, `/readyz`, metrics and logs show:

- `disk_full`: SQLite "database or disk is full", MariaDB/MySQL 1021, 1114, errno 28 (ENOSPC).
- `read_only`: SQLite "attempt to write a readonly database", MariaDB/MySQL 1290, 1792, 1836.
- `unavailable`: the database cannot be reached or opened (locked files, lost connections).
- `error`: any other database error (returned by callers that know the error came from storage).

`FaultState` keeps a component's current condition and logs it once when it starts and once when it
clears, never once per retry.
"""

from __future__ import annotations

import logging
import time
import weakref
from enum import StrEnum
from typing import Protocol

logger = logging.getLogger(__name__)


class StorageFault(StrEnum):
    DISK_FULL = "disk_full"
    READ_ONLY = "read_only"
    UNAVAILABLE = "unavailable"
    ERROR = "error"


_TEXTS: tuple[tuple[StorageFault, tuple[str, ...]], ...] = (
    (StorageFault.DISK_FULL, ("disk is full", "disk full", "no space left", "table is full", "enospc")),
    (StorageFault.READ_ONLY, ("readonly database", "read-only", "read only", "readonly")),
    (
        StorageFault.UNAVAILABLE,
        (
            "unable to open database",
            "database is locked",
            "disk i/o error",
            "can't connect",
            "lost connection",
            "server has gone away",
            "connection refused",
        ),
    ),
)
_CODES = {
    1021: StorageFault.DISK_FULL,
    1114: StorageFault.DISK_FULL,
    28: StorageFault.DISK_FULL,
    1290: StorageFault.READ_ONLY,
    1792: StorageFault.READ_ONLY,
    1836: StorageFault.READ_ONLY,
    2002: StorageFault.UNAVAILABLE,
    2003: StorageFault.UNAVAILABLE,
    2006: StorageFault.UNAVAILABLE,
    2013: StorageFault.UNAVAILABLE,
}
_DB_MODULES = ("sqlalchemy", "sqlite3", "aiosqlite", "pymysql", "aiomysql", "MySQLdb")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 10:
        cur = todo.pop()
        if cur is None or any(cur is s for s in seen):
            continue
        seen.append(cur)
        orig = getattr(cur, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None, cur.__cause__, cur.__context__]
    return seen


def classify(exc: BaseException) -> StorageFault | None:
    """The storage condition behind `exc`; None when it is not a database error at all."""
    chain = _chain(exc)
    for cur in chain:
        args = getattr(cur, "args", ())
        code = args[0] if args and isinstance(args[0], int) else getattr(cur, "errno", None)
        if isinstance(code, int) and code in _CODES:
            return _CODES[code]
        text = str(cur).lower()
        for fault, needles in _TEXTS:
            if any(n in text for n in needles):
                return fault
    if any(type(c).__module__.split(".")[0] in _DB_MODULES for c in chain):
        return StorageFault.ERROR
    return None


_STATES: weakref.WeakSet[FaultState] = weakref.WeakSet()
PROBE_KEY = "health:write_probe"


class _StateWriter(Protocol):
    async def put_state(self, key: str, value: bytes) -> None: ...


def current() -> dict[str, str]:
    """The storage faults this process's components are in now: {component: fault}."""
    return {s.component: s.fault.value for s in list(_STATES) if s.fault is not None}


async def write_probe(state: _StateWriter) -> str:
    """'ok' when the database takes a (tiny) write now, else the fault's name: a read-only or full
    database still answers reads, so only a write shows it."""
    try:
        await state.put_state(PROBE_KEY, str(time.time()).encode())
    except Exception as exc:
        return (classify(exc) or StorageFault.ERROR).value
    return "ok"


class FaultState:
    """The current storage fault of one component (None: healthy), logged on change only; every
    instance shows in `current()` while it lives."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.fault: StorageFault | None = None
        self.since: float | None = None
        self.detail = ""
        _STATES.add(self)

    def failed(self, exc: BaseException) -> StorageFault:
        fault = classify(exc) or StorageFault.ERROR
        if fault is not self.fault:
            logger.error(
                "%s: storage fault %s (%s: %s); retrying quietly until it clears",
                self.component,
                fault.value,
                type(exc).__name__,
                str(exc).splitlines()[0][:200] if str(exc) else "",
                exc_info=fault is StorageFault.ERROR,  # an unknown error keeps its traceback, once
            )
            self.fault, self.since, self.detail = fault, time.monotonic(), f"{type(exc).__name__}"
        return fault

    def as_dict(self) -> dict[str, object]:
        """For status pages and metrics: {'fault': name or None, 'for_s': seconds}."""
        since = self.since
        return {
            "fault": None if self.fault is None else self.fault.value,
            "for_s": None if since is None else round(time.monotonic() - since, 1),
        }

    def ok(self) -> None:
        if self.fault is not None:
            logger.warning(
                "%s: storage fault %s cleared after %.0f s",
                self.component,
                self.fault.value,
                time.monotonic() - (self.since or time.monotonic()),
            )
        self.fault, self.since, self.detail = None, None, ""
