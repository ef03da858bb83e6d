"""Rate limits: `ChatRateLimiter` (AIORateLimiter plus 1 message/s per chat) for every Bot API call,
and `CommandLimiter` (commands per minute per chat) so one chat cannot flood the bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
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
    """One call at a time per key, and the next one `interval` seconds after the previous completed
    (measured from completion, so network jitter cannot squeeze two into one interval at Telegram)."""

    def __init__(self, interval: float, *, max_keys: int = 10_000) -> None:
        self.interval = interval
        self._next: dict[int | str, float] = {}
        self._busy: dict[int | str, asyncio.Lock] = {}
        self._max_keys = max_keys

    @contextlib.asynccontextmanager
    async def slot(self, key: int | str) -> AsyncIterator[None]:
        if len(self._busy) > self._max_keys:
            now = time.monotonic()
            self._busy = {k: v for k, v in self._busy.items() if v.locked()}
            self._next = {k: v for k, v in self._next.items() if v > now or k in self._busy}
        lock = self._busy.setdefault(key, asyncio.Lock())
        async with lock:
            delay = self._next.get(key, 0.0) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                yield
            finally:
                self._next[key] = time.monotonic() + self.interval


class _NoRetryNoise(logging.Filter):
    """AIORateLimiter logs every RetryAfter it passes on with a traceback at ERROR; with max_retries=0
    it is ours to handle (and log), so that record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum of")


_AIO_LOGGER = logging.getLogger("telegram.ext.AIORateLimiter")
if not any(isinstance(f, _NoRetryNoise) for f in _AIO_LOGGER.filters):
    _AIO_LOGGER.addFilter(_NoRetryNoise())


class SlidingWindow:
    """At most `limit` calls in any `period` seconds, counted conservatively: a call holds its slot
    from the moment it starts until `period` seconds after it completed. Whatever the network
    jitter, the server can never see more than `limit` arrivals inside one window.

    (A leaky bucket -- aiolimiter, as used by AIORateLimiter -- lets a full bucket burst on top of the
    steady rate, up to twice the limit inside one second; strict spacing loses throughput to timer
    jitter.)

    Waiters queue in order (FIFO) and only the first one watches the window: it sleeps until the
    oldest slot expires, or until a call completes when every slot is still in flight. (Every waiter
    polling on its own cost 3.7 ms of CPU per message with 200 sends queued for the 30/s window.)
    """

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period
        self._expiry: deque[float] = deque()  # completed calls' slot expiry, in order
        self._inflight = 0
        self._turn = asyncio.Lock()  # the queue of waiters; its holder watches the window
        self._completed = asyncio.Event()

    def idle(self, now: float) -> bool:
        return self._inflight == 0 and (not self._expiry or self._expiry[-1] <= now)

    def _full(self) -> bool:
        now = time.monotonic()
        while self._expiry and self._expiry[0] <= now:
            self._expiry.popleft()
        return len(self._expiry) + self._inflight >= self.limit

    async def _acquire(self) -> None:
        async with self._turn:
            while self._full():
                if self._expiry:
                    await asyncio.sleep(self._expiry[0] - time.monotonic())
                    continue
                self._completed.clear()
                with contextlib.suppress(TimeoutError):  # a refused call frees its slot at once
                    await asyncio.wait_for(self._completed.wait(), self.period)
            self._inflight += 1

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        counted = True
        try:
            yield
        except RetryAfter:
            counted = False  # refused: Telegram sent nothing, so the slot is not spent
            raise
        finally:
            self._inflight -= 1
            if counted:
                self._expiry.append(time.monotonic() + self.period)
            self._completed.set()


class ChatRateLimiter(BaseRateLimiter[int]):
    """AIORateLimiter plus our own limits, for every Bot API call that names a chat.

    Ours: sends to one chat spaced `per_chat_interval_s` apart (AIORateLimiter has no per-chat limit),
    at most `group_per_min` sends per group/channel in any 60 s and `overall_per_s` calls in any 1 s
    (sliding windows, see `SlidingWindow`). AIORateLimiter stays underneath at a slightly looser
    rate as a backstop and coordinates RetryAfter pauses. `rate_limit_args` is the number of
    RetryAfter retries for a call (None: `default_retries`; the outbox Sender passes `NO_RETRY` and
    handles RetryAfter itself).
    """

    def __init__(
        self,
        *,
        overall_per_s: float = 30.0,
        group_per_min: float = 19.0,
        per_chat_interval_s: float = 1.0,
        default_retries: int = 2,
        group_period_s: float = 60.0,
        paid_per_s: float | None = None,
    ) -> None:
        self._inner = AIORateLimiter(
            overall_max_rate=int(overall_per_s) + 1,
            overall_time_period=1,
            group_max_rate=int(group_per_min) + 1,
            group_time_period=group_period_s,
            max_retries=0,
        )
        self._overall = SlidingWindow(int(overall_per_s), 1.0)
        self._paid = None if paid_per_s is None else SlidingWindow(int(paid_per_s), 1.0)
        self._group_per_min = int(group_per_min)
        self._group_period_s = group_period_s
        self._groups: dict[int | str, SlidingWindow] = {}
        self._chats = ChatSpacing(per_chat_interval_s)
        self._default_retries = default_retries

    def _group(self, chat_id: int | str) -> SlidingWindow:
        if len(self._groups) > 1000:
            now = time.monotonic()
            self._groups = {k: w for k, w in self._groups.items() if not w.idle(now)}
        return self._groups.setdefault(chat_id, SlidingWindow(self._group_per_min, self._group_period_s))

    @contextlib.asynccontextmanager
    async def _pace(self, endpoint: str, chat_id: object, paid: bool = False) -> AsyncIterator[None]:
        """Hold the per-chat, per-group and overall (free or paid) slots around one call."""
        async with contextlib.AsyncExitStack() as stack:
            if chat_id is not None:
                key: int | str = chat_id if isinstance(chat_id, int) else str(chat_id)
                if endpoint in SEND_METHODS:
                    await stack.enter_async_context(self._chats.slot(key))
                    if isinstance(key, str) or key < 0:
                        await stack.enter_async_context(self._group(key).slot())
                if not (paid and self._paid is not None):
                    await stack.enter_async_context(self._overall.slot())
                if self._paid is not None:
                    await stack.enter_async_context(self._paid.slot())
            yield

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
        retries = self._default_retries if rate_limit_args is None else max(0, rate_limit_args)
        for attempt in range(retries + 1):
            try:
                async with self._pace(endpoint, data.get("chat_id"), bool(data.get("allow_paid_broadcast"))):
                    return await self._inner.process_request(callback, args, kwargs, endpoint, data, None)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                wait = retry_seconds(exc)
                logger.info("RetryAfter on %s: waiting %.1fs", endpoint, wait)
                await asyncio.sleep(wait + 0.1)
        raise AssertionError("unreachable")


NO_RETRY = -1  # rate_limit_args for "raise RetryAfter to me" (0 is falsy: PTB would drop it)


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
