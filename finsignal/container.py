"""The composition root: settings -> database -> repositories -> services. Nothing else wires objects."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta

from ask.service import AskService
from core.combostudy import STATE_KEY as COMBO_STUDY_KEY
from core.combostudy import ComboStudy
from core.errors import SymbolError
from core.ports import EventBus, Repositories
from core.settings import Settings
from core.timeutil import Clock, SystemClock
from core.types import Bar, Interval, InvestorFlow, Rating
from finsignal.archive import tier_bars
from finsignal.ask import build_ask_service
from finsignal.scaleout import open_scaleout, outbox_sink
from market import MarketData
from market.bus import LocalEventBus
from market.hot_repos import HotBarRepo, HotFlowRepo
from market.hot_tier import HotTier
from market.redis_bus import RedisEventBus
from news import NewsService
from storage import Database

logger = logging.getLogger(__name__)


@dataclass
class App:
    """Everything a command needs, opened once and closed once."""

    settings: Settings
    db: Database
    repos: Repositories
    market: MarketData
    news: NewsService
    clock: Clock
    bus: EventBus = field(default_factory=LocalEventBus)  # live quotes and signals (issue 19)
    ask: AskService | None = None  # questions in plain words (issue 23)
    hot: HotTier | None = None  # issue 20: Redis hot tier of bars, flows, indicator summaries

    async def load_history(self, symbols: Sequence[str], years: int) -> Mapping[str, Sequence[Bar]]:
        """Daily bars for `symbols` over `years`, fetching what the database lacks. Raises SymbolError."""
        instruments = [await self.market.resolve(s) for s in symbols]
        result = await self.market.fetch_history(instruments, years=years)
        for symbol, reason in result.failures.items():
            logger.warning("history for %s incomplete: %s", symbol, reason)
        out: dict[str, Sequence[Bar]] = {}
        for inst in instruments:
            # the period ends at the latest stored bar (imported or delisted histories end in the past)
            last = await self.repos.bars.last_bar(inst.symbol, Interval.D1)
            if last is None:
                raise SymbolError(inst.symbol, "no price history available")
            # one extra year warms SMA 200 up, so the study period itself spans `years`
            start = last.ts - timedelta(days=int((years + 1) * 365.25) + 7)
            out[inst.symbol] = await self.repos.bars.list_bars(inst.symbol, Interval.D1, start=start)
        return out

    async def load_flows(self, symbols: Sequence[str]) -> Mapping[str, Sequence[InvestorFlow]]:
        """Stored investor flows of `symbols` (Korean stocks), for rating the flow signals."""
        found = {s: await self.repos.flows.list_flows(s, limit=20_000) for s in symbols}
        return {s: rows for s, rows in found.items() if rows}

    async def save_ratings(self, ratings: Sequence[Rating]) -> None:
        await self.repos.ratings.upsert_ratings(ratings)

    async def save_combo_study(self, study: ComboStudy) -> None:
        await self.repos.state.put_state(COMBO_STUDY_KEY, study.to_bytes())


@asynccontextmanager
async def open_app(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[App]:
    """Open the database (migrating it) and the services; close everything on exit."""
    clock = clock or SystemClock()
    db = await Database.open(settings.database_url, migrate=True, echo=settings.database_echo)
    tier_bars(db, settings)  # issue 20: bars archived to Parquet stay readable through repos.bars
    async with open_scaleout(settings) as wiring:  # Redis streams + hot tier, or in-process (issue 20)
        bus = wiring.bus
        if wiring.tier is not None:  # issue 20: recent minute bars and flows from Redis, behind L1
            db.repos = replace(
                db.repos,
                bars=HotBarRepo(db.repos.bars, wiring.tier, clock),
                flows=HotFlowRepo(db.repos.flows, wiring.tier),
            )
        # beside a collector (issue 20), API and bot processes never ask outside sources themselves
        fetch = not (settings.redis_url and settings.role in ("api", "bot"))
        market = MarketData(settings, db.repos, clock=clock, bus=bus, hot=wiring.hot, fetch=fetch)
        if isinstance(bus, RedisEventBus):  # another process's newer quote drops this process's L1 copy
            bus.on_remote("quote", lambda topic, _: market.forget_quote(topic.partition(":")[2]))
            if settings.role == "bot":  # the collector's signal events into the outbox (idempotent)
                bus.add_sink("signal", outbox_sink(db.repos, clock))
            if settings.role != "collector":  # the collector publishes; it needs nobody's events
                bus.start_reading()
        news = NewsService(settings, db.repos, clock=clock)
        try:
            async with AsyncExitStack() as stack:  # issue 23: the questions' read-only connection
                ask = build_ask_service(settings, db.repos, db.dialect, stack)
                yield App(
                    settings=settings,
                    db=db,
                    repos=db.repos,
                    market=market,
                    news=news,
                    clock=clock,
                    bus=bus,
                    ask=ask,
                    hot=wiring.tier,
                )
        finally:
            await market.close()
            await db.close()
