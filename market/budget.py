"""A source's daily request budget (Alpha Vantage: 25 a day), kept across restarts.

A rolling 24-hour window of the calls made, read from the injected clock. With a state store the
window is loaded before the first call and saved after each one, so a restart (or a second
process on the same database) does not hand out the budget a second time. Saving is
best-effort: a database error is logged and the call goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from datetime import datetime, timedelta
from typing import Protocol

from core.timeutil import Clock
from market.errors import BudgetExhaustedError

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=1)


class BlobStore(Protocol):
    """Where the window is kept (the repositories' `state`)."""

    async def get_state(self, key: str) -> bytes | None: ...
    async def put_state(self, key: str, value: bytes) -> None: ...


class DailyBudget:
    """At most `limit` calls of source `name` in any 24 hours."""

    def __init__(self, name: str, limit: int, clock: Clock, store: BlobStore | None = None) -> None:
        self.name = name
        self.limit = limit
        self._clock = clock
        self._store = store
        self._calls: deque[datetime] = deque()
        self._loaded = store is None
        self._lock = asyncio.Lock()

    @property
    def key(self) -> str:
        return f"market.budget.{self.name}"

    def used(self) -> int:
        """Calls made in the last 24 hours (as far as this process knows)."""
        self._expire(self._clock.now())
        return len(self._calls)

    async def take(self) -> None:
        """Count one call now, or raise BudgetExhaustedError (the call must not be made)."""
        async with self._lock:
            if not self._loaded:
                await self._load()
            now = self._clock.now()
            self._expire(now)
            if len(self._calls) >= self.limit:
                free_at = self._calls[0] + WINDOW
                raise BudgetExhaustedError(
                    self.name,
                    f"daily budget of {self.limit} requests used up (next at {free_at:%Y-%m-%d %H:%M} UTC)",
                )
            self._calls.append(now)
            await self._save()

    def _expire(self, now: datetime) -> None:
        while self._calls and now - self._calls[0] >= WINDOW:
            self._calls.popleft()

    async def _load(self) -> None:
        assert self._store is not None
        try:
            blob = await self._store.get_state(self.key)
        except Exception as exc:  # a dead database must not stop the fallback source
            logger.warning("source %s: stored budget not readable (%s); counting from now", self.name, exc)
            self._loaded = True
            return
        self._loaded = True
        if not blob:
            return
        try:
            stamps = sorted(datetime.fromisoformat(s) for s in json.loads(blob)["calls"])
            if any(s.tzinfo is None for s in stamps):
                raise ValueError("naive timestamp")
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("source %s: stored budget unusable (%s); counting from now", self.name, exc)
            return
        self._calls = deque(sorted([*stamps, *self._calls]))

    async def _save(self) -> None:
        if self._store is None:
            return
        blob = json.dumps({"calls": [c.isoformat() for c in self._calls]}).encode()
        try:
            await self._store.put_state(self.key, blob)
        except Exception as exc:
            logger.warning("source %s: request budget not saved (%s)", self.name, exc)
