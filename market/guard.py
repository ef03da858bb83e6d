"""Protection around every call to a source: circuit breaker, token-bucket rate limit, retries, stats.

The breaker is a small class rather than `purgatory`/`pybreaker`: it must read time from the injected
`core.timeutil.Clock` (tests move time forward instead of sleeping), allow exactly one probe while
half-open under asyncio concurrency, and feed `SourceHealth`; neither library is installed and both
keep state behind their own clocks/registries. Rate limiting (aiolimiter) and retries (tenacity) use
the libraries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from core.errors import (
    CircuitOpenError,
    PermanentSourceError,
    RateLimitedError,
    SourceError,
    TransientSourceError,
)
from core.timeutil import Clock
from core.types import SourceHealth
from market.budget import BlobStore, DailyBudget
from market.errors import BudgetExhaustedError, NoDataError

logger = logging.getLogger(__name__)
T = TypeVar("T")


class CircuitBreaker:
    """closed -> (failures >= threshold) -> open -> (reset_s elapsed) -> half_open: one probe call;
    its success closes the breaker, its failure opens it again for another reset_s."""

    def __init__(self, *, threshold: int, reset_s: float, clock: Clock, name: str = "") -> None:
        self.name = name  # the source it guards, named in its warnings
        self.threshold = threshold
        self.reset_s = reset_s
        self._clock = clock
        self._state = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> str:
        if self._state == "open" and self._elapsed() >= self.reset_s:
            return "half_open"
        return self._state

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through."""
        return max(0.0, self.reset_s - self._elapsed()) if self._state == "open" else 0.0

    def allow(self) -> bool:
        """May a call go through now? In half-open state only one probe at a time."""
        if self._state == "closed":
            return True
        if self._state == "open":
            if self._elapsed() < self.reset_s:
                return False
            self._state = "half_open"
            self._probing = False
        if self._probing:
            return False
        self._probing = True
        return True

    def release_probe(self) -> None:
        """The probe was not actually made (e.g. our own budget stopped it): let the next one through."""
        self._probing = False

    def record_success(self) -> None:
        self._state = "closed"
        self._failures = 0
        self._probing = False

    def record_failure(self) -> None:
        self._failures += 1
        self._probing = False
        if self._state == "half_open" or self._failures >= self.threshold:
            if self._state != "open":
                logger.warning(
                    "source %s: circuit breaker opened after %d failures; calls paused for %.0f s",
                    self.name or "?",
                    self._failures,
                    self.reset_s,
                )
            self._state = "open"
            self._opened_at = self._clock.now().timestamp()

    def _elapsed(self) -> float:
        return self._clock.now().timestamp() - self._opened_at


def make_limiter(rate_per_s: float, pace: float = 1.0, *, even: bool = False) -> AsyncLimiter:
    """A token bucket allowing `rate_per_s` on average (bursts of at most max(1, rate) requests).
    `pace` < 1 refills that much slower with the same burst: a margin under a server's limit, whose
    clock sees our first request late (connection set-up) and the next ones early (bench/flows.py).
    `even`: no bursts, one request every 1/rate seconds (for sources that count per second window)."""
    if rate_per_s >= 1 and not even:
        return AsyncLimiter(rate_per_s, 1.0 / pace)
    return AsyncLimiter(1, 1.0 / (rate_per_s * pace))


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransientSourceError) and not isinstance(exc, BudgetExhaustedError)


class SourceGuard:
    """Runs one source's calls through breaker -> concurrency cap -> retries -> rate limit -> call."""

    def __init__(
        self,
        name: str,
        *,
        clock: Clock,
        rate_per_s: float,
        breaker_failures: int,
        breaker_reset_s: float,
        retry_attempts: int = 3,
        retry_base_s: float = 0.5,
        retry_max_s: float = 8.0,
        max_concurrency: int = 8,
        daily_budget: int | None = None,
        budget_store: BlobStore | None = None,
        pace: float = 1.0,
        even: bool = False,
    ) -> None:
        self.name = name
        self.breaker = CircuitBreaker(
            threshold=breaker_failures, reset_s=breaker_reset_s, clock=clock, name=name
        )
        self._clock = clock
        self._limiter = make_limiter(rate_per_s, pace, even=even)
        self.store = budget_store  # where a source keeps state across restarts (budgets, tokens)
        self.budget = (
            DailyBudget(name, daily_budget, clock, budget_store) if daily_budget is not None else None
        )
        self._sem = asyncio.Semaphore(max_concurrency)
        self._attempts = retry_attempts
        self._base = retry_base_s
        self._max = retry_max_s
        self.successes = 0
        self.failures = 0
        self.requests = 0
        self.last_latency_ms: float | None = None
        self.last_error = ""

    def health(self) -> SourceHealth:
        return SourceHealth(
            source=self.name,
            breaker=self.breaker.state,
            successes=self.successes,
            failures=self.failures,
            last_latency_ms=self.last_latency_ms,
            last_error=self.last_error,
            updated_at=self._clock.now(),
        )

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn` (one HTTP attempt raising SourceErrors) under every protection."""
        if not self.breaker.allow():
            raise CircuitOpenError(self.name, f"circuit open, next probe in {self.breaker.retry_in():.0f}s")
        try:
            async with self._sem:
                result = await self._with_retries(fn)
        except NoDataError:
            self.breaker.record_success()
            self.successes += 1
            raise
        except BudgetExhaustedError as exc:
            self.breaker.release_probe()
            self.last_error = str(exc)
            raise
        except SourceError as exc:
            self._failed(str(exc))
            raise
        except Exception as exc:  # a parser bug must not crash the batch: report it as a source error
            logger.exception("unexpected error from source %s", self.name)
            self._failed(f"unexpected {type(exc).__name__}")
            raise PermanentSourceError(self.name, f"unexpected {type(exc).__name__}: {exc}") from exc
        self.breaker.record_success()
        self.successes += 1
        return result

    def _failed(self, message: str) -> None:
        self.breaker.record_failure()
        self.failures += 1
        self.last_error = message

    def _wait(self, state: RetryCallState) -> float:
        backoff = (wait_exponential(multiplier=self._base, max=self._max) + wait_random(0, self._base))(state)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after:
            return min(max(backoff, exc.retry_after), self._max)
        return backoff

    async def _with_retries(self, fn: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            reraise=True,
            before_sleep=self._log_retry,
        )
        async for attempt in retrying:
            with attempt:
                await self._acquire()
                started = time.perf_counter()
                try:
                    return await fn()
                finally:
                    self.last_latency_ms = (time.perf_counter() - started) * 1000.0
        raise AssertionError("unreachable")  # pragma: no cover

    async def _acquire(self) -> None:
        if self.budget is not None:
            await self.budget.take()
        await self._limiter.acquire()
        self.requests += 1

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.info("source %s: attempt %d failed (%s); retrying", self.name, state.attempt_number, exc)
