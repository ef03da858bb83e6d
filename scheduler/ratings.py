"""Backtest ratings of watched symbols, kept fresh: the body of the `rate_signals` job.

A symbol is due when it has no stored rating, when a horizon of `backtest_horizons` is missing, or
when its oldest rating's `run_at` is more than `ratings_max_age_days` old. Due symbols are backtested
on their stored daily bars (`backtest_years` + 1 years ending at the latest stored bar; the extra
year warms the indicators up) in a worker thread, a few symbols per call, and the ratings upserted.
Symbols whose stored history is too short are skipped with the backtester's reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backtest import check_histories, run_backtest
from core.errors import DataError, UsageError
from core.ports import Repositories
from core.quality import quality_rules
from core.settings import Settings
from core.timeutil import Clock
from core.types import PRICE_SIGNALS, Bar, Interval, InvestorFlow
from scheduler.ports import HistoryPort
from signals import signal_config

logger = logging.getLogger(__name__)

CHUNK = 16  # symbols per backtest call (one worker-thread hop; ratings stored after each)
SLACK = timedelta(days=31)  # stored history this close to the full span counts as complete

OnLoaded = Callable[[dict[str, list[Bar]]], Awaitable[None]]


@dataclass(slots=True)
class RateResult:
    """What one rating pass did: symbols rated, skipped (with reasons), already fresh, failed."""

    rated: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    fresh: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    def detail(self) -> str:
        text = (
            f"{len(self.rated)} rated, {len(self.skipped)} skipped, {self.fresh} fresh, "
            f"{len(self.failed)} failed"
        )
        if self.skipped:
            text += "; skipped: " + ", ".join(sorted(self.skipped))
        return text


class SignalRater:
    """Computes and stores missing or stale backtest ratings (one pass at a time per process).

    With `history`, due symbols whose stored bars do not reach `backtest_years` + 1 years back get
    their history loaded first; the bars that load stored are handed to `on_loaded` (the Runtime
    evaluates them like finalise's, since the newest may be a bar no finalise has seen).
    """

    def __init__(
        self,
        settings: Settings,
        repos: Repositories,
        clock: Clock,
        *,
        history: HistoryPort | None = None,
        on_loaded: OnLoaded | None = None,
    ) -> None:
        self.settings = settings
        self.repos = repos
        self.clock = clock
        self.history = history
        self.on_loaded = on_loaded
        self.config = signal_config(settings)
        self.horizons = tuple(sorted(set(settings.backtest_horizons)))
        keys = ("sma_fast", "sma_slow", "rsi_period", "rsi_overbought", "rsi_oversold", "volume_window")
        self.params: dict[str, object] = {k: getattr(self.config, k) for k in (*keys, "volume_multiple")}
        self.params["years"] = settings.backtest_years  # what BacktestResult.params() records
        self._lock = asyncio.Lock()
        self.too_short: set[str] = set()  # skipped with stored bars: not chained after finalise again

    async def is_due(self, symbol: str, now: datetime) -> bool:
        """True when a (signal, configured horizon) of `symbol` has no rating, or one that is older than
        `ratings_max_age_days` or computed with other signal parameters or years."""
        ratings = [r for r in await self.repos.ratings.list_ratings(symbol) if r.horizon in self.horizons]
        rated = {(r.signal, r.horizon) for r in ratings}
        if not rated >= {(s, h) for s in PRICE_SIGNALS for h in self.horizons}:  # flow ones: KRX only
            return True
        if any(r.params.get(k, v) != v for r in ratings for k, v in self.params.items()):
            return True
        stamps = [r.run_at for r in ratings]
        if any(t is None for t in stamps):
            return True
        oldest = min(t for t in stamps if t is not None)
        return now - oldest > timedelta(days=self.settings.ratings_max_age_days)

    async def unrated_watched(self, symbols: Iterable[str]) -> list[str]:
        """The watched ones of `symbols` without any stored rating (and not found too short already)."""
        watched = set(await self.repos.watches.list_watched_symbols())
        todo = [s for s in dict.fromkeys(symbols) if s in watched and s not in self.too_short]
        return [s for s in todo if not await self.repos.ratings.list_ratings(s)]

    async def rate_watched(self, symbols: Sequence[str] | None = None) -> RateResult | None:
        """`rate` every watched symbol (or the watched ones of `symbols`); None when none is watched."""
        watched = await self.repos.watches.list_watched_symbols()
        todo = watched if symbols is None else [s for s in symbols if s in set(watched)]
        return await self.rate(todo) if todo else None

    async def rate(self, symbols: Sequence[str]) -> RateResult:
        """Rate the due ones of `symbols`; never raises for one symbol's problem."""
        async with self._lock:
            now = self.clock.now()
            result = RateResult()
            due: list[str] = []
            for sym in dict.fromkeys(symbols):
                if await self.is_due(sym, now):
                    due.append(sym)
                else:
                    result.fresh += 1
            for i in range(0, len(due), CHUNK):
                await self._rate_chunk(due[i : i + CHUNK], now, result)
            return result

    def _span(self) -> timedelta:
        return timedelta(days=round((self.settings.backtest_years + 1) * 365.25))

    async def _load(self, symbol: str) -> list[Bar]:
        last = await self.repos.bars.last_bar(symbol, Interval.D1)
        if last is None:
            return []
        return await self.repos.bars.list_bars(symbol, Interval.D1, start=last.ts - self._span())

    def _short(self, bars: list[Bar]) -> bool:
        return not bars or bars[0].ts > bars[-1].ts - self._span() + SLACK

    def _problem(self, symbol: str, bars: list[Bar]) -> str | None:
        """Why `bars` cannot be rated (too short, unusable), or None."""
        if not bars:
            return f"{symbol}: no stored daily bars"
        try:
            problems = check_histories(
                {symbol: bars}, config=self.config, horizons=self.horizons, years=self.settings.backtest_years
            )
        except DataError as exc:
            return str(exc)
        return problems.get(symbol)

    async def _fill(self, symbols: list[str]) -> None:
        """Load the missing years of history of `symbols` into storage."""
        assert self.history is not None
        known = {i.symbol: i for i in await self.repos.instruments.list_instruments(active_only=True)}
        instruments = [known[s] for s in symbols if s in known]
        if not instruments:
            return
        result = await self.history.fetch_history(instruments, years=self.settings.backtest_years + 1)
        for symbol, reason in result.failures.items():
            logger.warning("history of %s incomplete (rated on what is stored): %s", symbol, reason)
        if self.on_loaded is not None:
            await self.on_loaded({s: list(b) for s, b in result.new_bars.items() if b})

    async def _rate_chunk(self, symbols: list[str], now: datetime, result: RateResult) -> None:
        loaded = {sym: await self._load(sym) for sym in symbols}
        short = [sym for sym, bars in loaded.items() if self._short(bars)]
        if short and self.history is not None:
            await self._fill(short)
            loaded.update({sym: await self._load(sym) for sym in short})
        histories: dict[str, list[Bar]] = {}
        for sym, bars in loaded.items():
            problem = self._problem(sym, bars)
            if problem is None:
                histories[sym] = bars
            else:
                result.skipped[sym] = problem
                if bars:
                    self.too_short.add(sym)  # a day's bar will not help: left to the daily run
                logger.info("ratings of %s skipped: %s", sym, problem)
        if histories:
            await self._run(histories, now, result)

    async def _flows(self, symbols: Iterable[str]) -> dict[str, list[InvestorFlow]]:
        """Stored investor flows of `symbols` (Korean stocks have them), for the flow signals."""
        span = round(self._span().days * 5 / 7) + 10  # sessions in the span, roughly
        found = {sym: await self.repos.flows.list_flows(sym, limit=span) for sym in symbols}
        return {sym: rows for sym, rows in found.items() if rows}

    async def _run(self, histories: dict[str, list[Bar]], now: datetime, result: RateResult) -> None:
        """Backtest `histories` in a worker thread and store the ratings; on failure retry one by one."""
        flows = await self._flows(histories)
        try:
            res = await asyncio.to_thread(
                run_backtest,
                histories,
                config=self.config,
                horizons=self.horizons,
                years=self.settings.backtest_years,
                run_at=now,
                quality=quality_rules(self.settings),
                flows=flows,
            )
        except (UsageError, DataError, ValueError, ArithmeticError) as exc:
            if len(histories) > 1:
                for sym, bars in histories.items():
                    await self._run({sym: bars}, now, result)
                return
            sym = next(iter(histories))
            logger.exception("ratings of %s failed", sym)
            result.failed[sym] = f"{type(exc).__name__}: {exc}"[:300]
            return
        await self.repos.ratings.upsert_ratings(res.ratings())
        result.rated += list(histories)
        self.too_short.difference_update(histories)
        logger.info("ratings stored for %s", ", ".join(histories))
