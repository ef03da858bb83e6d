"""Adapters from the services to the ports the bot consumes (`bot.services.BotServices`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

import numpy as np

from backtest import render_text, run_backtest
from bot.services import BotServices
from core.quality import quality_rules
from core.types import Bar, Interval
from finsignal.container import App
from fundflow.digest import FlowsDigests
from market.hot_repos import HotIndicators
from signals import compute_history, signal_config


class StoredIndicators:
    """Current indicator values from stored daily bars (works in every role, without the live engine)."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._config = signal_config(app.settings)

    async def snapshot(self, symbol: str) -> Mapping[str, float | None]:
        cfg = self._config
        bars = await self._app.repos.bars.list_bars(symbol, Interval.D1, limit=cfg.warmup + 5)
        if not bars:
            return {}
        close = np.array([b.adj_close for b in bars], dtype=np.float64)
        volume = np.array([b.volume for b in bars], dtype=np.float64)
        res = compute_history(close, volume, cfg)

        def last(a: np.ndarray[Any, Any]) -> float | None:
            x = float(a[-1])
            return None if np.isnan(x) else x

        return {
            "close": float(close[-1]),
            f"sma{cfg.sma_fast}": last(res.sma_fast),
            f"sma{cfg.sma_slow}": last(res.sma_slow),
            f"rsi{cfg.rsi_period}": last(res.rsi),
            "volume": float(volume[-1]),
            f"vol_avg{cfg.volume_window}": last(res.vol_avg),
        }


def hot_indicators(app: App) -> StoredIndicators | HotIndicators:
    """Issue 20: with the Redis hot tier, the latest values are computed once per daily bar."""
    stored = StoredIndicators(app)
    return stored if app.hot is None else HotIndicators(stored.snapshot, app.hot)


class StoredHistory:
    """Daily bars for charts, straight from the database."""

    def __init__(self, app: App) -> None:
        self._app = app

    async def bars(self, symbol: str, days: int) -> list[Bar]:
        """The last `days` calendar days of stored bars, ending at the latest stored bar."""
        last = await self._app.repos.bars.last_bar(symbol, Interval.D1)
        if last is None:
            return []
        start = last.ts - timedelta(days=days)
        return await self._app.repos.bars.list_bars(symbol, Interval.D1, start=start)


class BacktestRunner:
    """`/backtest SYMBOL` for admins: load (fetching what is missing), run, store ratings, summarise."""

    def __init__(self, app: App) -> None:
        self._app = app

    async def run(self, symbol: str) -> str:
        settings = self._app.settings
        history = await self._app.load_history([symbol], settings.backtest_years)
        result = await asyncio.to_thread(
            run_backtest,
            history,
            config=signal_config(settings),
            horizons=tuple(settings.backtest_horizons),
            years=settings.backtest_years,
            quality=quality_rules(settings),
        )
        await self._app.save_ratings(result.ratings())
        return render_text(result, next(iter(history)), settings.default_language)


class HealthAdapter:
    """`/status`: the live runtime's report when this process runs the scheduler, else the stored figures."""

    def __init__(self, report: Callable[[], Awaitable[Mapping[str, Any]]]) -> None:
        self._report = report

    async def report(self) -> Mapping[str, Any]:
        return await self._report()


class WatchFollowups:
    """`/watch` -> the scheduler rates the symbol soon, when this process runs one (late-bound)."""

    def __init__(self, rate_soon: Callable[[str], None]) -> None:
        self._rate_soon = rate_soon

    def watched(self, symbol: str) -> None:
        self._rate_soon(symbol)


def build_bot_services(
    app: App,
    health: Callable[[], Awaitable[Mapping[str, Any]]],
    rate_soon: Callable[[str], None] | None = None,
) -> BotServices:
    return BotServices(
        repos=app.repos,
        resolver=app.market,
        quotes=app.market,
        indicators=hot_indicators(app),
        history=StoredHistory(app),
        backtests=BacktestRunner(app),
        news=app.news,
        health=HealthAdapter(health),
        followups=WatchFollowups(rate_soon) if rate_soon is not None else None,
        investor_flows=app.market,
        etfs=app.market,
        flows=FlowsDigests(app.settings),  # issue 22
        ask=app.ask,
    )
