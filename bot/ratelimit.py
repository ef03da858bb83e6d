"""Rate limits: `ChatRateLimiter` (AIORateLimiter plus 1 message/s per chat) for every Bot API call,
and `CommandLimiter` (commands per minute per chat) so one chat cannot flood the bot."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

logger = logging.getLogger(__name__)

SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage"}
)


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds to wait from a RetryAfter (PTB gives a timedelta or a number)."""
    value = exc.retry_after
    return float(value.total_seconds()) if isinstance(value, timedelta) else float(value)


class ChatSpacing:
    """At most one call per `interval` seconds per key (strict spacing, no bursts)."""

    def __init__(self, interval: float, *, max_keys: int = 10_000) -> None:
        self.interval = interval
        self._next: dict[int | str, float] = {}
        self._max_keys = max_keys

    async def acquire(self, key: int | str) -> None:
        now = time.monotonic()
        if len(self._next) > self._max_keys:
            self._next = {k: v for k, v in self._next.items() if v > now}
        slot = max(now, self._next.get(key, 0.0))
        self._next[key] = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class _NoRetryNoise(logging.Filter):
    """AIORateLimiter logs every RetryAfter it passes on with a traceback at ERROR; with max_retries=0
    it is ours to handle (and log), so that record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum of")


_AIO_LOGGER = logging.getLogger("telegram.ext.AIORateLimiter")
if not any(isinstance(f, _NoRetryNoise) for f in _AIO_LOGGER.filters):
    _AIO_LOGGER.addFilter(_NoRetryNoise())


class ChatRateLimiter(BaseRateLimiter[int]):
    """AIORateLimiter (overall and per-group limits) plus our own per-chat spacing for sends.

    The overall and group limits are configured as strict spacing (1 call per 1/rate s) so that no
    sliding window of one second ever holds more than `overall_per_s` sends, which is how Telegram
    (and the fake server in the tests) counts. `rate_limit_args` is the number of RetryAfter retries
    for this call (None: `default_retries`; the outbox sender passes 0 and handles RetryAfter itself).
    """

    def __init__(
        self,
        *,
        overall_per_s: float = 29.0,
        group_per_min: float = 19.0,
        per_chat_interval_s: float = 1.0,
        default_retries: int = 2,
    ) -> None:
        self._inner = AIORateLimiter(
            overall_max_rate=1,
            overall_time_period=1.0 / overall_per_s,
            group_max_rate=1,
            group_time_period=60.0 / group_per_min,
            max_retries=0,
        )
        self._chats = ChatSpacing(per_chat_interval_s)
        self._default_retries = default_retries

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = self._default_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            chat_id = data.get("chat_id")
            if endpoint in SEND_METHODS and chat_id is not None:
                await self._chats.acquire(chat_id)
            try:
                return await self._inner.process_request(callback, args, kwargs, endpoint, data, None)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                wait = retry_seconds(exc)
                logger.info("RetryAfter on %s: waiting %.1fs", endpoint, wait)
                await asyncio.sleep(wait + 0.1)
        raise AssertionError("unreachable")


class CommandLimiter:
    """Sliding window: at most `per_minute` commands per chat per 60 s."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def allow(self, chat_id: int) -> bool:
        now = self._clock()
        hits = self._hits.setdefault(chat_id, deque())
        while hits and hits[0] <= now - 60.0:
            hits.popleft()
        if len(self._hits) > 10_000:
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 60.0}
            self._hits[chat_id] = hits
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        self._warned.discard(chat_id)
        return True

    def warn_once(self, chat_id: int) -> bool:
        """True the first time a chat is refused in a row (tell it once, then stay silent)."""
        if chat_id in self._warned:
            return False
        self._warned.add(chat_id)
        return True
