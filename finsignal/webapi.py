"""The Market Data API wired to finsignal's services (issue 19): the same settings, database and
services as the bot, opened by `finsignal.container.open_app`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from fastapi import FastAPI

from api import ApiServices, create_app
from api.jobs import BacktestJobs
from api.services import Limits
from backtest import run_backtest
from core import storage_faults
from core.errors import FinsignalError
from core.quality import quality_rules
from core.settings import Settings, load_settings
from core.timeutil import ensure_utc
from core.types import Instrument, Interval
from finsignal.container import App, open_app
from fundflow.digest import FlowsDigests
from market import MarketData, resolver
from market.redis_bus import RedisEventBus
from signals import compute_history, signal_config

logger = logging.getLogger(__name__)
WARM_BARS = 400  # as the live pipeline's warm-up (scheduler.pipeline): RSI agrees to ~1e-12
_TICK = timedelta(microseconds=1)


class StoredIndicatorSeries:
    """Indicator values per stored daily bar, from the signal engine's batch path (`compute_history`)."""

    def __init__(self, app: App) -> None:
        self._app = app
        cfg = signal_config(app.settings)
        self._config = cfg
        self._warm_bars = max(WARM_BARS, cfg.warmup + 300)
        self._names = {
            f"sma{cfg.sma_fast}": "sma_fast",
            f"sma{cfg.sma_slow}": "sma_slow",
            f"rsi{cfg.rsi_period}": "rsi",
            f"vol_avg{cfg.volume_window}": "vol_avg",
        }

    def known(self) -> Sequence[str]:
        return list(self._names)

    async def series(
        self, symbol: str, names: Sequence[str], start: datetime | None, end: datetime | None
    ) -> tuple[list[datetime], dict[str, list[float | None]]]:
        repo = self._app.repos.bars
        if start is None:
            bars = await repo.list_bars(symbol, Interval.D1, end=end)
        else:  # the bars before `start` the engine's state would have seen (RSI remembers its seed)
            warm = await repo.list_bars(symbol, Interval.D1, end=start - _TICK, limit=self._warm_bars)
            bars = warm + await repo.list_bars(symbol, Interval.D1, start=start, end=end)
        if not bars:
            return [], {n: [] for n in names}
        close = np.array([b.adj_close for b in bars], dtype=np.float64)
        volume = np.array([b.volume for b in bars], dtype=np.float64)
        res = compute_history(close, volume, self._config, threads=1)
        keep = [i for i, b in enumerate(bars) if start is None or ensure_utc(b.ts) >= start]
        out: dict[str, list[float | None]] = {}
        for name in names:
            column = np.asarray(getattr(res, self._names[name]))
            out[name] = [None if np.isnan(column[i]) else float(column[i]) for i in keep]
        return [ensure_utc(bars[i].ts) for i in keep], out


class StoredReadiness:
    """/readyz: the database answers; each source's breaker state; the Redis bus's state when set."""

    def __init__(self, app: App) -> None:
        self._app = app

    async def check(self) -> Mapping[str, Any]:
        try:
            await self._app.db.ping()
            # a read-only or full database still answers reads: a tiny write names the condition
            database = await storage_faults.write_probe(self._app.repos.state)
        except FinsignalError:
            database = "unreachable"
        sources = {h.source: h.breaker for h in self._app.market.health()}
        report: dict[str, Any] = {"database": database, "sources": sources}
        if faults := storage_faults.current():
            report["storage_faults"] = faults
        if isinstance(self._app.bus, RedisEventBus):  # issue 20: "degraded" while Redis is down
            report["redis"] = self._app.bus.stats()
        return report


class CachedResolver:
    """Resolutions remembered for `ttl_s` seconds per process, so a hot quote needs no database read
    (a KAU front-vintage change shows within the TTL). Errors are not cached."""

    def __init__(self, market: MarketData, ttl_s: float = 60.0) -> None:
        self._market, self._ttl = market, ttl_s
        self._seen: dict[tuple[str, bool], tuple[float, Instrument]] = {}
        self._asking: dict[tuple[str, bool], asyncio.Task[Instrument]] = {}
        names: dict[str, list[str]] = {s: [s, e.name] for s, e in resolver.CATALOGUE.items()}
        for alias, symbol in resolver.ALIASES.items():
            names.setdefault(symbol, [symbol]).append(alias)
        self._names = {s: [n.casefold() for n in ns] for s, ns in names.items()}

    async def search(self, text: str, limit: int) -> list[Instrument]:
        """Catalogue entries (symbol, English name, Korean and English aliases), then stored
        instruments, whose text contains `text` (case-insensitive)."""
        needle = text.strip().casefold()
        found: dict[str, Instrument] = {}
        for symbol, names in self._names.items():
            if needle and any(needle in n for n in names):
                entry = resolver.CATALOGUE[symbol]
                found[symbol] = resolver.make_instrument(symbol, entry.market, entry.name)
        for inst in await self._market.repos.instruments.list_instruments():
            if needle and (needle in inst.symbol.casefold() or needle in inst.name.casefold()):
                found[inst.symbol] = inst
        return list(found.values())[:limit]

    async def resolve(self, text: str, *, verify: bool = False) -> Instrument:
        key = (text.strip().upper(), verify)
        hit = self._seen.get(key)
        if hit is not None and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        task = self._asking.get(key)  # one resolution for concurrent askers (a burst of subscribers)
        if task is None:
            task = self._asking[key] = asyncio.ensure_future(self._resolve(text, key))
        return await asyncio.shield(task)

    async def _resolve(self, text: str, key: tuple[str, bool]) -> Instrument:
        try:
            inst = await self._market.resolve(text, verify=key[1])
        finally:
            del self._asking[key]
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen[key] = (time.monotonic(), inst)
        return inst


def limits_of(settings: Settings) -> Limits:
    return Limits(
        rate_per_minute=settings.api_rate_per_minute,
        max_bars=settings.api_max_bars,
        max_intraday_days=settings.api_max_intraday_days,
        cors_origins=tuple(settings.api_cors_origins),
        quote_max_age_s=settings.quote_max_age_s,
        cache_s=settings.api_cache_s,
    )


def backtest_runner(app: App) -> Callable[[Sequence[str], int], Awaitable[list[dict[str, Any]]]]:
    """What a backtest job does: the CLI's work (load history, run, store ratings), its JSON records."""

    async def run(symbols: Sequence[str], years: int) -> list[dict[str, Any]]:
        settings = app.settings
        history = await app.load_history(symbols, years)
        result = await asyncio.to_thread(
            run_backtest,
            history,
            config=signal_config(settings),
            horizons=tuple(settings.backtest_horizons),
            years=years,
            quality=quality_rules(settings),
        )
        await app.save_ratings(result.ratings())
        return result.records()

    return run


def build_api_services(app: App) -> ApiServices:
    return ApiServices(
        backtests=BacktestJobs(backtest_runner(app), app.clock),
        repos=app.repos,
        resolver=CachedResolver(app.market),
        quotes=app.market,
        indicators=StoredIndicatorSeries(app),
        readiness=StoredReadiness(app),
        clock=app.clock,
        limits=limits_of(app.settings),
        bus=app.bus,
        investor_flows=app.market,
        flows=FlowsDigests(app.settings),  # issue 22
    )


def build_asgi_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def services() -> AsyncIterator[ApiServices]:
        async with open_app(settings) as app:
            services = replace(build_api_services(app), ask=app.ask)
            try:
                yield services
            finally:
                if services.backtests is not None:
                    await services.backtests.close()

    return create_app(services, limits=limits_of(settings))


def asgi_app() -> FastAPI:
    """uvicorn's factory (`finsignal.webapi:asgi_app`), one call per worker process."""
    settings = load_settings()
    from finsignal.logs import configure_logging

    configure_logging(settings.log_level, settings.secret_values())
    return build_asgi_app(settings)


def serve(settings: Settings, host: str, port: int, workers: int) -> int:
    """Run uvicorn in the foreground until SIGTERM/SIGINT; `workers` processes share the port."""
    import os

    import uvicorn

    os.environ["FINSIGNAL_ROLE"] = "api"  # each worker loads its settings: an API process (issue 20)
    logger.info("finsignal api on http://%s:%d (%d worker(s))", host, port, workers)
    uvicorn.run(
        "finsignal.webapi:asgi_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    return 0
