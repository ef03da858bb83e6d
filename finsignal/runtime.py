"""Running finsignal: the Telegram bot and the scheduler on one event loop, or console mode."""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from bot.app import build_application, run_application
from bot.briefing import Briefer
from bot.console import ConsoleChat, ConsoleNotifier
from bot.delivery import OutboxNotifier
from bot.flows_briefing import FlowsBriefer
from bot.handlers import BotApp
from bot.news_alerts import NewsAlerter
from core.ports import EventBus, NewsPublisher, Notifier
from core.quality import quality_rules
from core.settings import Settings
from core.types import Market, SignalEvent
from finsignal.archive import archive_job
from finsignal.ask import news_translator
from finsignal.collector import JOBS_OWNER, run_collector
from finsignal.container import App, open_app
from finsignal.health import collect_status
from finsignal.scaleout import StoredSignals
from finsignal.services import build_bot_services
from fundflow.digest import MonthlyCollection
from market.bus import BarAnnouncer, BusNotifier, news_message
from market.redis_bus import RedisEventBus
from market.resolver import make_instrument
from market.universe import krx_universe
from news import CrawlResult, NewsService
from scheduler import Runtime, run_until_signalled
from signals import SignalEngine, signal_config
from signals.combo_engine import ComboEngine
from signals.user_alerts import margins

logger = logging.getLogger(__name__)


class AlertingNews:
    """The news service as the scheduler sees it: every crawl also hands new items to the news alerter."""

    def __init__(self, news: NewsService, publisher: NewsPublisher, bus: EventBus | None = None) -> None:
        self._news, self._publisher, self._bus = news, publisher, bus

    async def crawl(self, symbols: list[str], /) -> CrawlResult:
        result = await self._news.crawl(symbols)
        if self._bus is not None:  # issue 20: each new, classified item as `news:SYMBOL` (or `news:*`)
            for item in result.items:
                self._bus.publish(f"news:{item.symbols[0] if item.symbols else '*'}", news_message(item))
        if result.items:  # only the newly stored items
            try:
                await self._publisher.publish_news(result.items)
            except Exception:
                logger.exception("news alerts failed for %d new items", len(result.items))
        return result


class NoDelivery:
    """The collector's notifier beside Redis: events are stored and published on the signal stream
    (`BusNotifier`); the bot process consumes them into the outbox."""

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        return 0


def build_runtime(
    app: App,
    notifier: Notifier,
    *,
    briefer: Briefer | None = None,
    news_publisher: NewsPublisher | None = None,
    owner_id: str | None = None,
) -> Runtime:
    """The one scheduler, wired to market data, the signal engine, delivery, news and briefings."""
    config = signal_config(app.settings)
    return Runtime(
        app.settings,
        app.repos,
        market=app.market,
        notifier=BusNotifier(notifier, app.bus),  # new events also go to the API's stream (issue 19)
        engine_factory=lambda: ComboEngine(SignalEngine(config, rules=quality_rules(app.settings))),
        briefer=briefer,
        news=AlertingNews(app.news, news_publisher, app.bus) if news_publisher is not None else app.news,
        history=app.market,  # rate_signals loads the missing years of history before rating
        clock=app.clock,
        universe=krx_universe() if app.settings.kis_app_key is not None else (),
        depth=app.market,
        quotes=app.market,  # issue 24: own alerts on quote updates where no minute bars are kept
        etfs=[
            make_instrument(f"{c.strip()}.KS", Market.KRX)
            for c in app.settings.kis_etfs.split(",")
            if c.strip()
        ],
        flows=MonthlyCollection(app.settings, app.clock),  # issue 22: collect_flows on the 1st
        archiver=archive_job(app.db, app.settings, app.clock),  # issue 20: None unless it is set
        bars_closed=BarAnnouncer(app.bus),  # issue 20: `bar:SYMBOL` events
        owner_id=owner_id,
    )


async def run_service(settings: Settings, *, role: str) -> int:
    """`finsignal run` with a token: bot and/or scheduler until SIGTERM/SIGINT."""
    settings = settings.model_copy(update={"role": role})
    async with open_app(settings) as app:
        runtime: Runtime | None = None

        async def health() -> Mapping[str, Any]:
            if runtime is not None and runtime.enabled:
                return await runtime.health_report()
            return await collect_status(settings)

        def rate_soon(symbol: str) -> None:
            if runtime is not None and runtime.enabled:
                runtime.rate_soon(symbol)

        services = build_bot_services(app, health, rate_soon)
        notifier = OutboxNotifier(
            app.repos,
            clock=app.clock,
            digest=settings.alert_delivery == "digest",  # issue 24
            margins=margins(settings),
        )
        briefer = FlowsBriefer(services, settings, clock=app.clock)  # issue 22: + monthly flows section
        alerter = NewsAlerter(
            app.repos,
            clock=app.clock,
            per_chat_per_hour=settings.news_alerts_per_hour,
            translations=news_translator(settings, app.repos),  # issue 23: None without a model
        )
        if role == "collector":  # issue 20: the one process that asks sources, held by a lease
            # beside Redis, signals go out as stream events and the bot's delivery enqueues them
            signals_to: Notifier = NoDelivery() if isinstance(app.bus, RedisEventBus) else notifier
            if isinstance(app.bus, RedisEventBus):  # stored signals the stream missed go out again
                app.bus.set_store(StoredSignals(app.repos))
            return await run_collector(
                app,
                lambda: build_runtime(
                    app, signals_to, briefer=briefer, news_publisher=alerter, owner_id=JOBS_OWNER
                ),
            )
        runtime = build_runtime(app, notifier, briefer=briefer, news_publisher=alerter)
        if role == "scheduler":
            _freeze_startup_objects()
            await run_until_signalled(runtime)
            return 0

        async def on_startup(_: BotApp) -> None:
            assert runtime is not None
            runtime.start()
            _freeze_startup_objects()

        async def on_shutdown(_: BotApp) -> None:
            assert runtime is not None
            await runtime.stop()

        bot_app = build_application(
            settings, services, on_startup=on_startup, on_shutdown=on_shutdown, clock=app.clock
        )
        await run_application(bot_app, settings)
        logger.info("finsignal stopped cleanly")
        return 0


def _freeze_startup_objects() -> None:
    """Move the ~200k objects of start-up (modules, numba, pandas) out of the garbage collector's view:
    full collections then stop adding 100-200 ms pauses to the bar -> outbox path (bench/pipeline.py)."""
    gc.collect()
    gc.freeze()


async def run_console(settings: Settings, *, with_scheduler: bool) -> int:
    """Console mode: the bot's commands on stdin/stdout; with the scheduler, alerts print as they fire."""
    async with open_app(settings) as app:
        runtime: Runtime | None = None

        async def health() -> Mapping[str, Any]:
            if runtime is not None:
                return await runtime.health_report()
            return await collect_status(settings)

        def rate_soon(symbol: str) -> None:
            if runtime is not None:
                runtime.rate_soon(symbol)

        services = build_bot_services(app, health, rate_soon)
        if with_scheduler:
            runtime = build_runtime(
                app, ConsoleNotifier(services, stdout=sys.stdout, clock=app.clock, margins=margins(settings))
            )
            runtime.start()
            _freeze_startup_objects()
        chat = ConsoleChat(services, settings, stdin=sys.stdin, stdout=sys.stdout, clock=app.clock)
        try:
            await chat.run()
        finally:
            if runtime is not None:
                with contextlib.suppress(Exception):
                    await runtime.stop()
    return 0
