"""MarketData: the one entry point the scheduler, the bot and the CLI use for prices."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import httpx

from core.errors import FinsignalError, SourceError, SymbolError
from core.ports import EventBus, PriceSource, Repositories
from core.settings import Settings
from core.timeutil import Clock, SystemClock
from core.types import Bar, EtfHolding, Instrument, Interval, InvestorFlow, Market, Quote, SourceHealth
from market import resolver
from market import verify as verification
from market.calendar import is_trading_day, trading_days
from market.csv_import import ImportOutcome, parse_csv
from market.guard import SourceGuard
from market.indicators import indicators
from market.pipeline import Pipeline, Progress, merge_bars
from market.quotes import HotQuotes, QuoteCache
from market.sources import AlphaVantageSource, EexSource, KrxSource, Source, YahooSource, kis
from market.validate import validate_bars

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class UpdateResult:
    """What a batch did. `new_bars`: newly stored or changed bars per symbol, oldest first (sibling
    K-ETS vintages from the same payloads included); `failures`: symbol -> reason; `rejected`: bars
    that failed validation; `sources`: symbol -> the source that served it."""

    new_bars: dict[str, list[Bar]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    rejected: int = 0
    sources: dict[str, str] = field(default_factory=dict)


class MarketData:
    """Instruments, prices and quotes. Construct once; `await close()` at shutdown."""

    def __init__(
        self,
        settings: Settings,
        repos: Repositories,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sources: Mapping[str, PriceSource] | None = None,
        bus: EventBus | None = None,
        hot: HotQuotes | None = None,
        fetch: bool = True,
    ) -> None:
        self.settings = settings
        # fetch=False (API and bot processes beside a collector, issue 20): no outside source is ever
        # asked; quotes come from the hot tier (kept fresh by the collector) or the stored bars
        self.fetch = fetch
        self.repos = repos
        self.clock: Clock = clock or SystemClock()
        logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs may carry an API key
        self._client = httpx.AsyncClient(transport=transport, follow_redirects=True)
        self._guards: dict[str, SourceGuard] = {}
        built: dict[str, PriceSource] = {}
        specs: list[tuple[type[Source], float, int | None]] = [
            (YahooSource, settings.yahoo_rate_per_s, None),
            (KrxSource, settings.krx_rate_per_s, None),
            (AlphaVantageSource, settings.alphavantage_rate_per_s, settings.alphavantage_daily_budget),
            (EexSource, settings.eex_rate_per_s, None),
        ]
        for cls, rate, budget in specs:
            guard = self._guard(cls.name, rate, budget)
            built[cls.name] = cls(settings, self._client, guard, self.clock)
        if settings.kis_app_key is not None and settings.kis_app_secret is not None:
            rate = settings.kis_rate_per_s or kis.default_rate(settings.kis_account_type)
            kis_guard = self._guard("kis", rate, None, even=True)
            built["kis"] = kis.KisSource(settings, self._client, kis_guard, self.clock)
        built.update(sources or {})
        self.sources: dict[str, PriceSource] = built if fetch else {}
        self._pipeline = Pipeline(settings, repos, self.clock, self.sources)
        self._cache = QuoteCache(bus=bus, hot=hot)  # hot: the Redis tier behind the L1 (issue 20)
        self._tasks: set[asyncio.Task[None]] = set()
        self._batch = asyncio.Semaphore(settings.market_batch_concurrency)

    def _guard(self, name: str, rate: float, budget: int | None, *, even: bool = False) -> SourceGuard:
        s = self.settings
        guard = SourceGuard(
            name,
            clock=self.clock,
            rate_per_s=rate,
            breaker_failures=s.breaker_failures,
            breaker_reset_s=s.breaker_reset_s,
            retry_attempts=s.market_retry_attempts,
            retry_base_s=s.market_retry_base_s,
            retry_max_s=s.market_retry_max_s,
            max_concurrency=s.market_source_concurrency,
            daily_budget=budget,
            budget_store=self.repos.state,
            even=even,
        )
        self._guards[name] = guard
        return guard

    # ---- instruments ------------------------------------------------------------------------

    async def resolve(self, text: str, *, verify: bool = False) -> Instrument:
        """User input -> canonical Instrument; raises SymbolError (with suggestions). Without network
        unless `verify`: then a symbol not yet known (not curated, not stored, no bars) is checked once
        at its primary source; 'no such symbol' raises SymbolError, an outage accepts it (see
        `market.verify`). A bare 6-digit code unknown on KOSPI is tried on KOSDAQ."""
        try:
            inst = await resolver.resolve(text, self.repos, self.clock.now())
        except SymbolError as exc:
            if exc.reason != "unknown symbol":
                raise
            stored = await verification.suggest(exc.symbol, self.repos)
            merged = list(dict.fromkeys([*exc.suggestions, *stored]))[:5]
            raise SymbolError(exc.symbol, exc.reason, merged) from None
        if not verify:
            return inst
        timeout_s = 2 * self.settings.http_timeout_s
        try:
            return await verification.verify(inst, self.repos, self.sources, timeout_s)
        except SymbolError:
            code = text.strip()
            if not (code.isdigit() and len(code) == 6 and inst.symbol == f"{code}.KS"):
                raise
        kosdaq = resolver.make_instrument(f"{code}.KQ", Market.KRX)
        try:
            return await verification.verify(kosdaq, self.repos, self.sources, timeout_s)
        except SymbolError:
            raise SymbolError(code, "unknown symbol", await verification.suggest(code, self.repos)) from None

    # ---- bars -------------------------------------------------------------------------------

    async def update(
        self, instruments: Iterable[Instrument], interval: Interval = Interval.D1
    ) -> UpdateResult:
        """Fetch what is missing since the stored cursors, validate, store; concurrent, never fails whole."""
        return await self._batch_run(
            list(instruments), lambda inst: self._pipeline.update_one(inst, interval), interval
        )

    async def fetch_history(
        self,
        symbols_or_instruments: Iterable[str | Instrument],
        years: int = 10,
        progress: Progress | None = None,
        *,
        interval: Interval = Interval.D1,
        days: int = 30,
    ) -> UpdateResult:
        """Load `years` of daily history (or `days` of intraday bars) once, resumably, then bring it up
        to date."""
        result = UpdateResult()
        instruments: list[Instrument] = []
        for item in symbols_or_instruments:
            if isinstance(item, Instrument):
                instruments.append(item)
                continue
            try:
                instruments.append(await self.resolve(item))
            except SymbolError as exc:
                result.failures[str(item)] = str(exc)

        async def one(inst: Instrument) -> tuple[dict[str, list[Bar]], int, str]:
            if interval != Interval.D1:
                new, rejected = await self._pipeline.intraday_history_one(inst, interval, days, progress)
            else:
                new, rejected = await self._pipeline.history_one(inst, years, progress)
            return new, rejected, ""

        batch = await self._batch_run(instruments, one, interval)
        batch.failures.update(result.failures)
        return batch

    async def _batch_run(
        self,
        instruments: Sequence[Instrument],
        work: Callable[[Instrument], Awaitable[tuple[dict[str, list[Bar]], int, str]]],
        interval: Interval,
    ) -> UpdateResult:
        result = UpdateResult()

        async def guarded(inst: Instrument) -> None:
            async with self._batch:
                try:
                    new, rejected, source = await work(inst)
                except FinsignalError as exc:
                    result.failures[inst.symbol] = str(exc)
                    logger.warning("update %s %s failed: %s", inst.symbol, interval, exc)
                    return
                except Exception as exc:  # one instrument never fails the batch
                    logger.exception("update %s %s crashed", inst.symbol, interval)
                    result.failures[inst.symbol] = f"internal error: {type(exc).__name__}"
                    return
            merge_bars(result.new_bars, new)
            result.rejected += rejected
            if source:
                result.sources[inst.symbol] = source
            for symbol in new:
                self._cache.invalidate_history(symbol)

        await asyncio.gather(*(guarded(inst) for inst in instruments))
        await self._save_health()
        return result

    async def import_csv(
        self, path: str | Path, symbol: str, *, date_format: str | None = None
    ) -> ImportOutcome:
        """Import daily bars from a CSV file through the one rule for bad bars; what it did, counted."""
        inst = await self.resolve(symbol)
        parsed = parse_csv(Path(path), inst.symbol, date_format=date_format)
        await self._pipeline.ensure_instrument(inst)

        checked = validate_bars(
            parsed.bars,
            now=self.clock.now(),
            today=self._pipeline.today(inst),
            is_trading_day=lambda d: is_trading_day(inst.market, d),
        )
        if checked.kept:
            await self.repos.bars.upsert_bars(checked.kept)
            self._cache.invalidate_history(inst.symbol)
        reasons: dict[str, int] = {}
        for _, why in [*parsed.problems, *checked.rejected]:
            reasons[why] = reasons.get(why, 0) + 1
        outcome = ImportOutcome(
            file=Path(path).name, symbol=inst.symbol, stored=len(checked.kept),
            rejected=len(checked.rejected), unreadable=len(parsed.problems),
            repaired=len(checked.repaired), outliers=checked.report.outliers,
            date_format=parsed.date_format, price_only=parsed.price_only, reasons=reasons,
            quality=checked.report.as_dict(),
        )  # fmt: skip
        logger.info("csv import %s", outcome.summary())
        return outcome

    # ---- quotes -----------------------------------------------------------------------------

    async def quote(self, inst: Instrument) -> tuple[Quote, float]:
        """(quote, age in seconds since it came from its source). Watched instruments are served from
        the cache even when stale (refreshed in the background); others are fetched when stale."""
        cached = await self._cache.lookup(inst.symbol)
        now = self.clock.now()
        if cached is not None:
            age = (now - cached.fetched_at).total_seconds()
            if age <= self.settings.quote_max_age_s or not self.fetch:  # the collector refreshes it
                return cached.quote, age
            if inst.symbol in self._cache.watched:
                self._refresh_in_background(inst)
                return cached.quote, age
        quote = await self._fetch_quote(inst)
        return quote, 0.0

    def forget_quote(self, symbol: str) -> None:
        """Drop the in-process copy of `symbol`'s quote (another process announced a newer one)."""
        self._cache.invalidate(symbol)

    async def refresh_quotes(self, instruments: Iterable[Instrument]) -> int:
        """Refresh and keep warm the quotes of watched instruments; returns how many refreshed."""
        items = list(instruments)
        self._cache.watched.update(i.symbol for i in items)
        outcomes = await asyncio.gather(*(self._fetch_quote(i) for i in items), return_exceptions=True)
        for inst, outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                logger.warning("quote %s not refreshed: %s", inst.symbol, outcome)
        await self._save_health()
        return sum(1 for o in outcomes if isinstance(o, Quote))

    def _refresh_in_background(self, inst: Instrument) -> None:
        if any(t.get_name() == f"quote:{inst.symbol}" for t in self._tasks):
            return

        async def run() -> None:
            try:
                await self._fetch_quote(inst)
            except Exception as exc:
                logger.warning("background quote refresh of %s failed: %s", inst.symbol, exc)

        task = asyncio.create_task(run(), name=f"quote:{inst.symbol}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def investor_flows(self, inst: Instrument, *, days: int = 20) -> list[InvestorFlow]:
        """The last `days` sessions of net buying by individuals, foreigners and institutions (oldest
        first): stored rows, refreshed from KIS first when they stop short of the last finished session.
        A source failure leaves what is stored. Korean stocks only."""
        if inst.market != Market.KRX:
            raise SymbolError(inst.symbol, "investor flows exist for Korean stocks only")
        stored = await self.repos.flows.list_flows(inst.symbol, limit=days)
        source = self.sources.get("kis")
        if isinstance(source, kis.KisSource) and (not stored or stored[-1].day < self._last_session(inst)):
            try:
                await self.repos.flows.upsert_flows(await source.investor_flows(inst))
            except SourceError as exc:
                logger.warning("investor flows of %s not refreshed: %s", inst.symbol, exc)
            else:
                stored = await self.repos.flows.list_flows(inst.symbol, limit=days)
        return stored

    async def etf_holdings(self, etf: Instrument) -> tuple[list[EtfHolding], list[EtfHolding]]:
        """The latest stored snapshot of an ETF's portfolio and the one before it (largest first); today's
        is fetched from KIS first when it is configured and today's is not stored yet."""
        if etf.market != Market.KRX:
            raise SymbolError(etf.symbol, "ETF holdings exist for Korean ETFs only")
        snapshots = await self.repos.etfs.list_snapshots(etf.symbol)
        source = self.sources.get("kis")
        today = self.clock.now().astimezone(ZoneInfo(etf.timezone)).date()
        if isinstance(source, kis.KisSource) and (not snapshots or snapshots[0][0].day < today):
            try:
                fresh = await kis.etf_holdings(source, etf)
            except SourceError as exc:
                logger.warning("holdings of %s not refreshed: %s", etf.symbol, exc)
            else:
                if fresh:
                    await self.repos.etfs.replace_holdings(etf.symbol, today, fresh)
                    snapshots = await self.repos.etfs.list_snapshots(etf.symbol)
        latest = snapshots[0] if snapshots else []
        return latest, snapshots[1] if len(snapshots) > 1 else []

    def _last_session(self, inst: Instrument) -> date:
        """The latest session whose investor flows are published (KIS: after the close, 15:30 KST)."""
        now = self.clock.now().astimezone(ZoneInfo(inst.timezone))
        days = trading_days(inst.market, now.date() - timedelta(days=14), now.date())
        if days and days[-1] == now.date() and now.time() < time(16, 0):
            days.pop()
        return days[-1] if days else now.date()

    async def _fetch_quote(self, inst: Instrument) -> Quote:
        errors: list[str] = []
        quote: Quote | None = None
        for name in self._pipeline.route(inst, Interval.M1):  # the most current source first
            source = self.sources.get(name)
            if source is None:
                continue
            try:
                quote = await source.fetch_quote(inst)
            except SourceError as exc:
                errors.append(str(exc))
                continue
            if quote is not None:
                break
        closes, bars = await self._recent(inst)
        if quote is None:
            if not bars:
                detail = "; ".join(errors) or "no source has a quote and nothing is stored"
                raise SourceError("market", f"no price available for {inst.symbol}: {detail}")
            last = bars[-1]
            quote = Quote(
                inst.symbol,
                last.close,
                last.ts,
                f"stored:{last.source}",
                day_high=last.high,
                day_low=last.low,
                volume=last.volume,
                prev_close=bars[-2].close if len(bars) > 1 else None,
            )
        year = [b for b in bars if b.ts >= quote.ts - timedelta(days=365)]
        sma200, rsi14 = indicators(closes, self.settings.sma_slow, self.settings.rsi_period)
        quote = replace(
            quote,
            sma200=sma200,
            rsi14=rsi14,
            high_52w=quote.high_52w or (max(b.high * b.adj_factor for b in year) if year else None),
            low_52w=quote.low_52w or (min(b.low * b.adj_factor for b in year) if year else None),
        )
        if self.fetch:  # a process that does not fetch never announces a quote built from stored bars
            await self._cache.store(quote, self.clock.now())
        return quote

    async def _recent(self, inst: Instrument) -> tuple[list[float], list[Bar]]:
        bars = await self.repos.bars.list_bars(
            inst.symbol, Interval.D1, limit=max(self.settings.sma_slow, 260)
        )
        closes = [b.adj_close for b in bars]
        self._cache.closes[inst.symbol] = closes
        return closes, bars

    # ---- health & lifecycle -----------------------------------------------------------------

    def health(self) -> list[SourceHealth]:
        """Per source: breaker state, successes/failures, last latency and error."""
        return [g.health() for g in self._guards.values()]

    async def _save_health(self) -> None:
        try:
            for health in self.health():
                await self.repos.health.upsert_source_health(health)
        except Exception as exc:  # status is best-effort; never fail a batch over it
            logger.warning("could not store source health: %s", exc)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()
