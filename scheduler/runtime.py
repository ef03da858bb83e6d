"""The Runtime: one APScheduler AsyncIOScheduler on the running loop, the jobs, leases and shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.errors import ConfigError
from core.flows import FlowsCollector
from core.instance import instance_id
from core.labels import front_roll_notice
from core.ports import Notifier, Repositories
from core.settings import Settings
from core.storage_faults import FaultState
from core.timeutil import Clock, SystemClock
from core.types import Bar, Instrument, Interval, JobRun, Market, OutboxMessage
from market.vintage import Roll, roll_fronts
from scheduler import depth as krx_depth
from scheduler import followups, health, minute_check
from scheduler.calendars import MarketSpec, missing_exam_year, session_calendar
from scheduler.engines import engine_factory as make_engine_factory
from scheduler.intraday import IntradaySignals
from scheduler.jobs import MINUTE_TAIL, JobDef, JobKind, market_specs, plan_jobs
from scheduler.metrics import MetricsServer
from scheduler.pipeline import EvalResult, SignalPipeline
from scheduler.ports import (
    BrieferPort,
    DepthPort,
    EnginePort,
    HistoryPort,
    MarketPort,
    NewsPort,
    QuotePort,
)
from scheduler.ratings import SignalRater
from scheduler.user_alerts import UserAlertWatcher, publish_close, quote_bar
from signals import signal_config
from signals.user_alerts import margins

logger = logging.getLogger(__name__)

# Instruments of markets without their own schedule ride along with the US session.
_SCHEDULED_AS = {Market.OTHER: Market.US}


def _log_warm_failure(task: asyncio.Task[EvalResult]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        logger.error("signal engine warm-up failed (retried by the next bar job): %s", exc, exc_info=exc)


class JobSkipped(Exception):
    """Raised inside a job body when there is nothing to do (recorded as outcome 'skipped')."""


class Runtime:
    """Drives finsignal: prices, bars -> signals -> delivery, news and briefings, on one event loop.

    `start()` must be called with an event loop running (PTB's post_init); `await stop()` at shutdown.
    """

    def __init__(
        self,
        settings: Settings,
        repos: Repositories,
        *,
        market: MarketPort,
        notifier: Notifier,
        engine_factory: Callable[[], EnginePort] | None = None,
        engine: EnginePort | None = None,
        briefer: BrieferPort | None = None,
        news: NewsPort | None = None,
        history: HistoryPort | None = None,
        clock: Clock | None = None,
        owner_id: str | None = None,
        specs: Mapping[Market, MarketSpec] | None = None,
        universe: Sequence[Instrument] = (),
        depth: DepthPort | None = None,
        etfs: Sequence[Instrument] = (),
        flows: FlowsCollector | None = None,
        archiver: Callable[[], Awaitable[str]] | None = None,
        quotes: QuotePort | None = None,
        bars_closed: Callable[[Sequence[Bar]], None] | None = None,
    ) -> None:
        factory: Callable[[], EnginePort]
        if engine_factory is not None:
            factory = engine_factory
        elif engine is not None:
            given = engine
            factory = lambda: given  # noqa: E731
        else:
            factory = make_engine_factory(signal_config(settings))
        self.settings = settings
        self.repos = repos
        self.market = market
        self.notifier = notifier
        self.briefer = briefer
        self.news = news
        self.history = history
        self.flows = flows
        self.archiver = archiver  # issue 20: the archive_bars job
        self.clock: Clock = clock or SystemClock()
        self.owner_id = owner_id or instance_id(settings.instance_id, settings.data_dir, "scheduler")
        self.specs = dict(specs) if specs is not None else market_specs(settings)
        self.universe = list(universe)  # Korean stocks whose minute bars are collected besides the watched
        self.depth = depth
        self.etfs = list(etfs)
        self.quotes = quotes  # own alerts on refreshed quotes where no minute bars are collected
        self.bars_closed = bars_closed  # issue 20: each closed, stored bar (the `bar` event stream)
        try:
            self.jobs: dict[str, JobDef] = {
                j.id: j
                for j in plan_jobs(
                    settings,
                    specs=self.specs,
                    with_news=news is not None,
                    with_briefings=briefer is not None,
                    with_flows=flows is not None,
                    with_archive=archiver is not None,
                )
            }
        except ValueError as exc:
            raise ConfigError(f"scheduler settings are invalid: {exc}") from None
        self.alerts = UserAlertWatcher(repos, margins(settings), warmup=settings.warmup_bars)
        self.pipeline = SignalPipeline(
            repos, notifier, factory, warmup=settings.warmup_bars, alerts=self.alerts
        )
        self.intraday = IntradaySignals(
            repos, notifier, signal_config(settings), make_engine_factory, warmup=settings.warmup_bars
        )
        self.rater = SignalRater(
            settings, repos, self.clock, history=history, on_loaded=self._evaluate_loaded
        )
        self.runs: dict[str, JobRun] = {}
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._accepting = False
        self._warm_task: asyncio.Task[EvalResult] | None = None
        self._retries: dict[str, int] = {}
        self._metrics: MetricsServer | None = None
        self._metrics_task: asyncio.Task[None] | None = None
        self.process = health.ProcessProbe()
        self.storage = FaultState("scheduler")  # a storage fault met by a job, logged once per change
        self._lease_retries: dict[str, int] = {}
        self._held: set[str] = set()  # job leases taken by this process

    # ---------------------------------------------------------------- lifecycle
    @property
    def enabled(self) -> bool:
        """False when this process runs only the bot (role=bot) or the API."""
        return self.settings.role in ("all", "scheduler", "collector")

    def start(self) -> None:
        """Create the scheduler on the running loop, add the jobs, warm the engine in the background."""
        if self._scheduler is not None:
            raise RuntimeError("Runtime already started")
        loop = asyncio.get_running_loop()
        if self.settings.metrics_port:
            self._metrics = MetricsServer(self, "127.0.0.1", self.settings.metrics_port)
            self._metrics_task = loop.create_task(self._metrics.start())
        if not self.enabled:
            logger.info("role=%s: scheduler not started in this process", self.settings.role)
            return
        self._scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
        grace = self.settings.misfire_grace_s
        for job in self.jobs.values():
            self._scheduler.add_job(
                self._fire,
                trigger=job.trigger,
                args=[job.id],
                id=job.id,
                name=job.kind.value,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=grace,
            )
        self._accepting = True
        self._warm_task = loop.create_task(self._warm())
        self._warm_task.add_done_callback(_log_warm_failure)
        self._scheduler.start()
        logger.info("scheduler started: %d jobs, owner %s", len(self.jobs), self.owner_id)

    async def _check_late_days(self) -> None:
        """Warn, when Korean instruments are scheduled and this year's exam season is near, that its KRX
        exam day is not known (only then: not at every start)."""
        krx = self.specs.get(Market.KRX)
        year = missing_exam_year(krx.late_days, self.clock.now().date()) if krx is not None else None
        if year is None:
            return
        if await self.instruments_of(Market.KRX):
            logger.warning(
                "KRX exam day of %d not known yet: add it to FINSIGNAL_KRX_LATE_DAYS when KRX announces "
                "it (that day KRX trades 10:00-16:30 KST)",
                year,
            )

    async def ready(self) -> EvalResult:
        """Wait until the engine is warm (restored, warmed and caught up)."""
        task = self._warm_task
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._warm_task = asyncio.get_running_loop().create_task(self._warm())
        return await asyncio.shield(task)

    async def stop(self) -> None:
        """Stop accepting work, wait for running jobs (up to shutdown_timeout_s), save the engine state."""
        self._accepting = False
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.pause()
        running = {t for t in self._running if not t.done()}
        if running:
            logger.info("waiting for %d running jobs to finish", len(running))
            _, late = await asyncio.wait(running, timeout=self.settings.shutdown_timeout_s)
            for task in late:
                logger.warning("job still running at shutdown, cancelled: %s", task.get_name())
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)
        if self._warm_task is not None and not self._warm_task.done():
            # let it finish: a task cancelled mid-query can leave its database connection unclosable
            _, late = await asyncio.wait([self._warm_task], timeout=self.settings.shutdown_timeout_s)
            for task in late:
                task.cancel()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        if self._metrics is not None:
            await self._metrics.stop()
            self._metrics = None
        try:
            await self.pipeline.save()
        except Exception:
            logger.exception("could not save the signal engine state at shutdown")
        await self.intraday.save()
        await self.release_leases()
        logger.info("scheduler stopped")

    @property
    def scheduler(self) -> AsyncIOScheduler | None:
        return self._scheduler

    def next_run(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id) if self._scheduler is not None else None
        return None if job is None else job.next_run_time  # type: ignore[no-any-return]

    # ---------------------------------------------------------------- running jobs
    async def _fire(self, job_id: str, symbols: list[str] | None = None) -> None:
        if self._accepting:
            await self.run_job(job_id, symbols=symbols)

    async def run_job(self, job_id: str, *, symbols: list[str] | None = None) -> JobRun:
        """Run one job now under its lease; records and returns its JobRun (outcome ok|error|skipped)."""
        job = self.jobs[job_id.split(":")[0]]
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        started = self.clock.now()
        t0 = time.perf_counter()
        try:
            lease = f"job:{job.id}"
            try:
                held = await self.repos.state.try_lease(lease, self.owner_id, started, self._ttl())
            except Exception as exc:  # the database is down, read-only or full: this run is an error
                fault = self.storage.failed(exc)
                run = JobRun(job_id, started, time.perf_counter() - t0, "error", f"storage fault: {fault}")
                self.runs[job_id] = run  # the database cannot record it
                followups.retry_when_free(self, job, job_id, symbols)
                return run
            self.storage.ok()
            if not held:
                run = JobRun(
                    job_id, started, time.perf_counter() - t0, "skipped", "lease held by another owner"
                )
                self.runs[job_id] = run
                logger.info("job %s skipped: lease held by another scheduler (retried when it frees)", job_id)
                followups.retry_when_free(self, job, job_id, symbols)
                return run
            followups.lease_taken(self, job_id)
            self._held.add(lease)  # kept after the run (the holder keeps the job), released at stop
            keeper = asyncio.create_task(self._keep_lease(lease), name=f"lease:{lease}")
            try:
                detail = await self._body(job, symbols)
                outcome = "ok"
            except JobSkipped as exc:
                detail, outcome = str(exc), "skipped"
            except Exception as exc:
                logger.exception("job %s failed", job_id)
                detail, outcome = f"{type(exc).__name__}: {exc}"[:300], "error"
            finally:
                keeper.cancel()
            run = JobRun(job_id, started, time.perf_counter() - t0, outcome, detail)
            await self._record(run)
            return run
        finally:
            if task is not None:
                self._running.discard(task)

    async def release_leases(self) -> None:
        """Give up every job lease this process holds (clean shutdown): another scheduler, or this
        one restarted, takes the jobs at once instead of after lease_ttl_s."""
        for lease in sorted(self._held):
            try:
                await self.repos.state.release_lease(lease, self.owner_id)
            except Exception as exc:
                self.storage.failed(exc)  # it expires by itself after lease_ttl_s
        self._held.clear()

    def _ttl(self) -> float:
        return self.settings.lease_ttl_s

    async def _keep_lease(self, lease: str) -> None:
        """Renew a job's lease every third of its TTL while the job runs (long batches keep it)."""
        ttl = self._ttl()
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                if not await self.repos.state.try_lease(lease, self.owner_id, self.clock.now(), ttl):
                    logger.warning("lease %s lost to another scheduler while the job runs", lease)
                    return
            except Exception as exc:
                self.storage.failed(exc)

    async def _record(self, run: JobRun) -> None:
        """Persist the run, then publish it in `runs`: the last step of the job, so a reader that
        sees it there sees a finished job (its health row written)."""
        logger.info("job %s %s in %.3fs: %s", run.job, run.outcome, run.duration_s, run.detail)
        try:
            await self.repos.health.record_job_run(run)
        except Exception:
            logger.exception("could not record the run of job %s", run.job)
        finally:
            self.runs[run.job] = run

    async def _body(self, job: JobDef, symbols: list[str] | None) -> str:
        if job.kind in (JobKind.UPDATE_PRICES, JobKind.SNAPSHOT_PREV_CLOSE):
            return await self._refresh_quotes(job)
        if job.kind in (JobKind.FINALISE_BARS, JobKind.FETCH_EEX_AUCTIONS):
            return await self._finalise(job, symbols)
        if job.kind is JobKind.CRAWL_NEWS:
            if self.news is None:
                raise JobSkipped("no news service")
            watched = await self.repos.watches.list_watched_symbols()
            await self.news.crawl(watched)
            return f"{len(watched)} symbols"
        if job.kind is JobKind.SEND_BRIEFING:
            if self.briefer is None:
                raise JobSkipped("no briefer")
            return f"{await self.briefer.send_briefing(job.slot)} messages enqueued"
        if job.kind is JobKind.RATE_SIGNALS:
            return await self._rate(symbols)
        if job.kind is JobKind.UPDATE_MINUTE_BARS:
            return await self._update_minutes(job)
        if job.kind is JobKind.COLLECT_KRX_DEPTH:
            return await self._collect_depth()
        if job.kind is JobKind.CHECK_MINUTE_BARS:
            return await self._check_minutes(job)
        if job.kind is JobKind.REFRESH_LISTINGS:
            return await krx_depth.refresh_listings(self)
        if job.kind is JobKind.COLLECT_FLOWS and self.flows is not None:
            return await self.flows.collect_month()
        if job.kind is JobKind.ARCHIVE_BARS and self.archiver is not None:
            return await self.archiver()
        raise JobSkipped(f"nothing to do for {job.kind}")

    async def roll_fronts(self) -> list[Roll]:
        """Bare KAU/KCU watches follow the front vintage: move them and tell each chat once."""
        rolls = await roll_fronts(self.repos, self.clock.now())
        messages: list[OutboxMessage] = []
        for roll in rolls:
            for chat_id in roll.chats:
                chat = await self.repos.chats.get_chat(chat_id)
                lang = chat.language.value if chat else self.settings.default_language
                text = front_roll_notice(lang, roll.alias, roll.old, roll.new)
                key = f"front:{roll.alias}:{roll.new}:{chat_id}"
                messages.append(OutboxMessage(chat_id, key, text, kind="notice"))
            followups.rate_soon(self, [roll.new], f"{JobKind.RATE_SIGNALS}:front")
        if messages:
            await self.repos.outbox.enqueue(messages)
        return rolls

    async def instruments_of(self, market: Market) -> list[Instrument]:
        """Active instruments scheduled with `market`."""
        return [
            i
            for i in await self.repos.instruments.list_instruments(active_only=True)
            if _SCHEDULED_AS.get(i.market, i.market) == market
        ]

    async def _refresh_quotes(self, job: JobDef) -> str:
        assert job.market is not None
        is_open = session_calendar(self.specs[job.market]).is_open(self.clock.now())
        if job.kind is JobKind.UPDATE_PRICES and not is_open:
            raise JobSkipped(f"{job.market} session closed")
        watched = await self._followed()
        instruments = [i for i in await self.instruments_of(job.market) if i.symbol in watched]
        if not instruments:
            raise JobSkipped(f"no watched {job.market} instruments")
        await self.market.refresh_quotes(instruments)  # intraday quotes: watched instruments only
        await self._persist_source_health()
        if job.kind is JobKind.UPDATE_PRICES:
            await self._alerts_on_quotes(job.market, instruments)
        return f"{len(instruments)} quotes"

    async def _update_minutes(self, job: JobDef) -> str:
        """The minute bars of the session so far: watched Korean stocks first, then the universe (largest
        first), all within the source's rate limit. Nothing on a day the exchange is closed."""
        assert job.market is not None
        calendar = session_calendar(self.specs[job.market])
        now = self.clock.now()
        if not (calendar.is_open(now) or calendar.is_open(now - MINUTE_TAIL)):
            raise JobSkipped(f"{job.market} session closed")
        watched = await self._followed()
        stocks = [
            i for i in await self.repos.instruments.list_instruments() if i.market == Market.KRX and i.active
        ]
        first = [i for i in stocks if i.symbol in watched]
        known = {i.symbol for i in first}
        order = [*first, *(i for i in self.universe if i.symbol not in known)]
        if not order:
            raise JobSkipped("no Korean stocks to follow")
        result = await self.market.update(order, interval=Interval.M1)
        new = sum(len(b) for b in result.new_bars.values())
        session = calendar.session_of(now)
        evaluated = await self.intraday.on_minutes(result.new_bars, now, session[2] if session else None)
        self._announce_bars([b for bars in self.intraday.closed.values() for b in bars])
        signals = "".join(f", {iv}: {r.bars} bars {len(r.new_events)} signals" for iv, r in evaluated.items())
        minute_bars = {s: list(b) for s, b in result.new_bars.items() if b}
        if minute_bars:  # chats' own alerts intraday (issue 24)
            notifier = self.notifier
            await self.alerts.deliver(minute_bars, lambda hits: publish_close(notifier, [], hits))
        return f"{len(order)} symbols, {new} new minute bars, {len(result.failures)} failed{signals}"

    async def _check_minutes(self, job: JobDef) -> str:
        """The last session's minute bars of the followed Korean stocks against their daily bars."""
        assert job.market is not None
        session = session_calendar(self.specs[job.market]).session_of(self.clock.now())
        if session is None or self.clock.now() < session[2]:
            raise JobSkipped(f"{job.market} session not closed yet")
        watched = set(await self.repos.watches.list_watched_symbols())
        stocks = [i.symbol for i in await self.repos.instruments.list_instruments() if i.market == Market.KRX]
        symbols = sorted({*(s for s in stocks if s in watched), *(i.symbol for i in self.universe)})
        day, opens, closes = session
        s = await minute_check.check_session(self.repos, symbols, day, opens, closes)
        checked, mismatched, missing = s["checked"], s["mismatched"], s["no_daily_bar"]
        return f"{day}: {checked} checked, {mismatched} mismatched, {missing} without daily bar"

    async def _alerts_on_quotes(self, market: Market, instruments: list[Instrument]) -> None:
        """Own alerts (issue 24) on the quotes just refreshed, for markets whose minute bars are not
        collected (those are checked on the minute bars instead)."""
        if self.quotes is None or f"{JobKind.UPDATE_MINUTE_BARS}.{market}" in self.jobs:
            return
        alerted = set(await self.repos.user_alerts.list_symbols())
        bars: dict[str, list[Bar]] = {}
        for inst in instruments:
            if inst.symbol in alerted:
                try:
                    quote, _age = await self.quotes.quote(inst)
                except Exception as exc:  # one quote must not stop the others
                    logger.warning("quote of %s for own alerts: %s", inst.symbol, exc)
                    continue
                bars[inst.symbol] = [quote_bar(quote)]
        if bars:
            notifier = self.notifier
            await self.alerts.deliver(bars, lambda hits: publish_close(notifier, [], hits))

    async def _followed(self) -> set[str]:
        """Symbols someone follows: watched, or with an own alert (issue 24)."""
        watched = set(await self.repos.watches.list_watched_symbols())
        return watched | set(await self.repos.user_alerts.list_symbols())

    async def _collect_depth(self) -> str:
        """After the KRX close: investor flows of the watched Korean stocks, holdings of the kept ETFs."""
        if self.depth is None:
            raise JobSkipped("no market depth source")
        watched = set(await self.repos.watches.list_watched_symbols())
        stocks = [
            i
            for i in await self.repos.instruments.list_instruments()
            if i.market == Market.KRX and i.symbol in watched and i.active
        ]
        failed = 0
        for inst in stocks:
            try:
                await self.depth.investor_flows(inst)
            except Exception as exc:  # one stock must not stop the others
                failed += 1
                logger.warning("investor flows of %s: %s", inst.symbol, exc)
        fired = await krx_depth.fire_flow_signals(self, stocks)
        for etf in self.etfs:
            try:
                await self.depth.etf_holdings(etf)
            except Exception as exc:
                failed += 1
                logger.warning("holdings of %s: %s", etf.symbol, exc)
        return f"{len(stocks)} stocks, {len(self.etfs)} ETFs, {failed} failed, {fired} flow signals"

    async def _finalise(self, job: JobDef, symbols: list[str] | None) -> str:
        """Fetch new daily bars of a market, then evaluate signals on them (same chain)."""
        assert job.market is not None
        instruments = await self.instruments_of(job.market)
        if symbols is not None:
            instruments = [i for i in instruments if i.symbol in symbols]
        if not instruments:
            raise JobSkipped(f"no {job.market} instruments")
        await self.ready()  # the engine knows the stored history before new bars arrive
        result = await self.market.update(instruments)
        await self._persist_source_health()
        new_bars = {s: list(b) for s, b in result.new_bars.items() if b}
        self._announce_bars([b for bars in new_bars.values() for b in bars])
        failures = dict(result.failures)
        for symbol, reason in failures.items():
            logger.warning("job %s: %s not updated (retried next run): %s", job.id, symbol, reason)
        await self._evaluate(job, new_bars)
        if job.market is Market.KETS:
            await self.roll_fronts()
        followups.schedule_retry(self, job, sorted(failures))
        await followups.chain_ratings(self, job, list(new_bars))
        n_bars = sum(map(len, new_bars.values()))
        return f"{len(instruments)} instruments, {n_bars} new bars, {len(failures)} failed"

    def _announce_bars(self, bars: Sequence[Bar]) -> None:
        if self.bars_closed is not None and bars:
            try:
                self.bars_closed(bars)
            except Exception:  # announcing never fails the job: the bars are stored
                logger.exception("bar events failed for %d bars", len(bars))

    async def _evaluate(self, job: JobDef, new_bars: dict[str, list[Any]]) -> None:
        eval_id = f"{JobKind.EVALUATE_SIGNALS}.{job.market}"
        started, t0 = self.clock.now(), time.perf_counter()
        try:
            await self.ready()
            res = await self.pipeline.process(new_bars)
        except Exception as exc:
            await self._record(
                JobRun(eval_id, started, time.perf_counter() - t0, "error", f"{type(exc).__name__}: {exc}")
            )
            raise
        detail = (
            f"{res.bars} bars, {len(res.new_events)} new events, {res.enqueued} enqueued, "
            f"bar->outbox {res.latency_s * 1000:.0f} ms"
        )
        await self._record(JobRun(eval_id, started, time.perf_counter() - t0, "ok", detail))

    async def _rate(self, symbols: list[str] | None) -> str:
        """Backtest ratings of watched symbols (all, or `symbols`) that are missing or too old."""
        result = await self.rater.rate_watched(symbols)
        if result is None:
            raise JobSkipped("no watched symbols")
        if result.failed and not result.rated:
            raise RuntimeError(result.detail())
        return result.detail()

    async def _evaluate_loaded(self, new_bars: dict[str, list[Bar]]) -> None:
        """Bars stored by a history load go through the signals like finalise's (the newest may be new)."""
        await self._persist_source_health()
        if new_bars:
            await self.ready()
            await self.pipeline.process(new_bars)

    async def _persist_source_health(self) -> None:
        for h in self.market.health():
            try:
                await self.repos.health.upsert_source_health(h)
            except Exception:
                logger.exception("could not record health of source %s", h.source)

    async def _warm(self) -> EvalResult:
        await self._check_late_days()
        instruments = await self.repos.instruments.list_instruments(active_only=True)
        result = await self.pipeline.warm([i.symbol for i in instruments])
        await self.catch_up_missed()
        return result

    def rate_soon(self, symbol: str) -> None:
        """A chat started watching `symbol`: its history and ratings follow within seconds (merged
        with other requests in one `rate_signals:watch` run), not at the next daily run."""
        when = followups.rate_soon(self, [symbol], f"{JobKind.RATE_SIGNALS}:watch")
        if when is not None:
            logger.info("%s newly watched: rated at %s if due", symbol, when.isoformat())

    async def catch_up_missed(self) -> list[str]:
        """Bring forward bar jobs missed while no scheduler ran them (see `followups.catch_up`)."""
        return await followups.catch_up(self)

    # ---------------------------------------------------------------- health
    def status(self) -> dict[str, Any]:
        """In-memory figures: jobs (last run, next run), sources, pipeline latency, process."""
        return health.status(self)

    async def health_report(self) -> dict[str, Any]:
        """`status()` plus what needs the database: outbox depth and job runs of other owners."""
        return await health.health_report(self)
