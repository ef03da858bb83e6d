"""What the outbox `Sender` keeps in memory while the database will not take a write.

`PendingWrites`: the outcome of a send (Telegram's message id for an accepted one, a retry, a
failure, a release of rows claimed but never started) is a database write; when it fails, the write
is kept here, keyed by outbox row, and retried before the sender claims anything new. The rows stay
claimed by this sender meanwhile, so no other round hands them out again: within one process a
database fault causes no duplicate and loses nothing.

Failures are reported to a `core.storage_faults.FaultState` (logged once per change of state).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.storage_faults import FaultState

logger = logging.getLogger(__name__)

Write = Callable[[], Awaitable[object]]
T = TypeVar("T")


class GroupWriter[T]:
    """Group commit: items added while a write is under way go together into the next one. Under
    load a database write per message would halve the send rate (SQLite has one writer); grouped,
    the writes keep up and each caller still returns only once its own item is stored (or raises)."""

    def __init__(self, write: Callable[[list[T]], Awaitable[object]]) -> None:
        self._write = write
        self._queue: list[tuple[T, asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()

    async def add(self, item: T) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((item, fut))
        async with self._lock:
            if not fut.done():
                batch, self._queue = self._queue, []
                try:
                    await self._write([i for i, _ in batch])
                except Exception as exc:
                    for _, f in batch:
                        if not f.done():
                            f.set_exception(exc)
                else:
                    for _, f in batch:
                        if not f.done():
                            f.set_result(None)
        await fut


class PendingWrites:
    """Outbox writes that failed, retried in order until the database takes them."""

    def __init__(self, fault: FaultState) -> None:
        self._writes: dict[object, Write] = {}
        self._fault = fault

    def __len__(self) -> int:
        return len(self._writes)

    def __contains__(self, key: object) -> bool:
        return key in self._writes

    async def run(self, key: object, write: Write) -> bool:
        """Do `write` (for outbox row `key`) now; keep it for `flush` if the database refuses."""
        try:
            await write()
        except Exception as exc:
            self._fault.failed(exc)
            self._writes[key] = write
            return False
        return True

    async def flush(self) -> bool:
        """Retry the kept writes, oldest first; True when none is left. Stops at the first failure."""
        for key, write in list(self._writes.items()):
            try:
                await write()
            except Exception as exc:
                self._fault.failed(exc)
                return False
            del self._writes[key]
        return True
