"""What every fund-flow source shares: the market guard and HTTP helpers, and month bounds.

The sources reuse `market.guard.SourceGuard` (rate limit, retries with backoff on 429/5xx honouring
Retry-After, circuit breaker) and `market.http` (status -> error policy, JSON decoding).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx

from core.errors import PermanentSourceError
from core.settings import Settings
from core.timeutil import Clock
from fundflow.catalogue import MonthlyPoint, SeriesSpec, add_months
from market.guard import SourceGuard


class FlowSource:
    """Base: `monthly(spec, first, last)` -> points with first <= month <= last, oldest first."""

    name = ""

    def __init__(
        self, settings: Settings, client: httpx.AsyncClient, guard: SourceGuard, clock: Clock
    ) -> None:
        self.settings = settings
        self.client = client
        self.guard = guard
        self.clock = clock

    async def monthly(self, spec: SeriesSpec, first: date, last: date) -> list[MonthlyPoint]:
        raise NotImplementedError

    def url(self, base: str, path: str) -> str:
        return f"{base.rstrip('/')}{path}"


def epoch_s(month: date) -> int:
    return int(datetime(month.year, month.month, 1, tzinfo=UTC).timestamp())


def month_end_s(month: date) -> int:
    """Epoch seconds of the first instant after `month`."""
    return epoch_s(add_months(month, 1))


def keep(points: list[MonthlyPoint], first: date, last: date) -> list[MonthlyPoint]:
    """Within [first, last], one point per month (the last one seen wins), sorted."""
    by_month = {p.month: p for p in points if first <= p.month <= last}
    return [by_month[m] for m in sorted(by_month)]


def malformed(source: str, what: str) -> PermanentSourceError:
    return PermanentSourceError(source, f"malformed payload: {what}")
