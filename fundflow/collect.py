"""Collect every series' missing months, all sources at once, each within its own limits.

For each series the months after the tracker's last stored one (or the whole window) are fetched
in one call, validated, merged into Parquet, then recorded in the tracker. A failing series is
written to `errors.log` with its name and the others go on; a source whose breaker opens fails fast.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import httpx

from core.errors import DataError, SourceError
from core.settings import Settings
from core.timeutil import Clock
from fundflow.catalogue import MonthlyPoint, SeriesSpec, add_months, month_of
from fundflow.sources.base import FlowSource
from fundflow.sources.binance import BinanceMonthly
from fundflow.sources.ecb import EcbMonthly, FxWithFallback
from fundflow.sources.fred import FredMonthly
from fundflow.sources.oilprice import OilPriceMonthly
from fundflow.sources.yahoo import YahooMonthly
from fundflow.store import FlowStore
from fundflow.tracker import ResumeTracker
from market.guard import SourceGuard

logger = logging.getLogger(__name__)


@dataclass
class CollectResult:
    stored: dict[str, int] = field(default_factory=dict)  # series key -> months written
    up_to_date: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # series key -> reason


def window(clock: Clock, years: int) -> tuple[date, date]:
    """First and last month to hold: the last finished month and `years` x 12 months back."""
    last = add_months(month_of(clock.now().date()), -1)
    return add_months(last, -(years * 12 - 1)), last


def build_sources(settings: Settings, client: httpx.AsyncClient, clock: Clock) -> dict[str, FlowSource]:
    def guard(name: str, rate: float) -> SourceGuard:
        return SourceGuard(
            name,
            clock=clock,
            rate_per_s=rate,
            breaker_failures=settings.breaker_failures,
            breaker_reset_s=settings.breaker_reset_s,
            retry_attempts=settings.market_retry_attempts,
            retry_base_s=settings.market_retry_base_s,
            retry_max_s=settings.market_retry_max_s,
            max_concurrency=settings.market_source_concurrency,
            pace=settings.fundflow_pace,
        )

    yahoo = YahooMonthly(settings, client, guard("yahoo", settings.yahoo_rate_per_s), clock)
    ecb = EcbMonthly(settings, client, guard("ecb", settings.ecb_rate_per_s), clock)
    return {
        "yahoo": yahoo,
        "fred": FredMonthly(settings, client, guard("fred", settings.fred_rate_per_s), clock),
        "ecb": FxWithFallback(ecb, yahoo),
        "binance": BinanceMonthly(settings, client, guard("binance", settings.binance_rate_per_s), clock),
        "oilprice": OilPriceMonthly(settings, client, guard("oilprice", settings.oilprice_rate_per_s), clock),
    }


class Collector:
    def __init__(
        self,
        sources: dict[str, FlowSource],
        store: FlowStore,
        tracker: ResumeTracker,
        clock: Clock,
        *,
        error_log: Path,
    ) -> None:
        self.sources, self.store, self.tracker, self.clock = sources, store, tracker, clock
        self.error_log = error_log
        self._writing = asyncio.Lock()

    async def run(
        self,
        specs: Iterable[SeriesSpec],
        first: date,
        last: date,
        on_done: Callable[[str], None] | None = None,
    ) -> CollectResult:
        result = CollectResult()

        async def one(spec: SeriesSpec) -> None:
            await self._one(spec, first, last, result)
            if on_done is not None:
                on_done(spec.key)

        async with asyncio.TaskGroup() as group:  # an interruption cancels every series at once
            for spec in specs:
                group.create_task(one(spec))
        return result

    async def _one(self, spec: SeriesSpec, first: date, last: date, result: CollectResult) -> None:
        done = self.tracker.last(spec.key)
        start = max(first, add_months(done, 1)) if done else first
        if start > last:
            result.up_to_date.append(spec.key)
            return
        source = self.sources[spec.source]
        try:
            points = await source.monthly(spec, start, last)
            if not points:
                raise DataError(f"{spec.key}: no months between {start:%Y-%m} and {last:%Y-%m}")
            fallback = spec.key in getattr(source, "used_fallback", ())
            name, fetched_at = ("yahoo" if fallback else source.name), self.clock.now()
            # one series at a time, Parquet first and the tracker second, in a worker thread: the
            # event loop keeps pacing the other sources' requests while a market file is rewritten
            async with self._writing:
                await asyncio.to_thread(self._store, spec, points, name, fetched_at)
            result.stored[spec.key] = len(points)
        except (SourceError, DataError) as exc:
            result.failed[spec.key] = str(exc)
            self._log_error(spec, str(exc))

    def _store(self, spec: SeriesSpec, points: list[MonthlyPoint], source: str, fetched_at: datetime) -> None:
        self.store.write(spec, points, source, fetched_at)
        self.tracker.record(spec.key, points[-1].month)

    def _log_error(self, spec: SeriesSpec, message: str) -> None:
        logger.warning("fundflow %s (%s): %s", spec.key, spec.source, message)
        self.error_log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.error_log, "a", encoding="utf-8") as fh:
            fh.write(f"{self.clock.now():%Y-%m-%dT%H:%M:%SZ}\t{spec.key}\t{spec.source}\t{message}\n")
