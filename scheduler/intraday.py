"""Intraday signals: the same signal engine per timeframe (1m, 5m, 15m), each with its own persisted
state (`scheduler.signal_state.5m`, ...; the daily engine's state is not touched).

The live minute updater hands over the 1-minute bars it stored. Closed 1-minute bars go to the 1m
engine; 5- and 15-minute bars are built from the stored 1-minute bars of each bucket once the bucket
has closed (its end passed, or the session's close: the closing auction stands alone), stored, and
fed to their engine. Only symbols someone watches on that timeframe are evaluated; the events go
through the same notifier (outbox -> sender) as daily ones, to the watchers of that timeframe.

Ratings on minute bars: the backtester on the stored bars of the timeframe, once a day per symbol,
kept under 'SYMBOL@5m' in the ratings table; with too little history the alert says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from backtest import run_backtest
from core.errors import DataError, UsageError
from core.ports import Notifier, Repositories
from core.types import Bar, Interval
from market.resample import MINUTES, resample
from scheduler.pipeline import EvalResult, SignalPipeline
from scheduler.ports import EnginePort
from signals import SignalConfig

logger = logging.getLogger(__name__)

INTERVALS = (Interval.M1, Interval.M5, Interval.M15)
HORIZON_BARS = 12  # forward window of an intraday rating, in bars (an hour of 5-minute bars)
_TICK = timedelta(microseconds=1)
_KEEP = timedelta(minutes=30)
_ROUND_GAP = timedelta(minutes=3)  # a longer pause between rounds (another scheduler ran them): re-read
_NEVER = datetime.max.replace(tzinfo=UTC)


def rating_symbol(symbol: str, interval: Interval) -> str:
    """The ratings-table key of a symbol's track record on minute bars (see `bot.views_alert.rating_key`)."""
    return f"{symbol}@{interval}"


def closed_buckets(
    bars: Sequence[Bar], interval: Interval, now: datetime, close: datetime | None
) -> list[datetime]:
    """Starts of the `interval` buckets touched by `bars` that have closed by `now`: their end passed,
    or the session closed (a bucket running past the close ends with it)."""
    step = timedelta(minutes=MINUTES[interval])
    out: set[datetime] = set()
    for bar in bars:
        start = bar.ts.replace(
            minute=bar.ts.minute - bar.ts.minute % MINUTES[interval], second=0, microsecond=0
        )
        end = start + step
        if close is not None and end > close:
            end = min(end, max(close, bar.ts) + timedelta(minutes=1))
        if end <= now:
            out.add(start)
    return sorted(out)


class IntradaySignals:
    """One `SignalPipeline` per minute timeframe, fed by the live minute updater."""

    def __init__(
        self,
        repos: Repositories,
        notifier: Notifier,
        config: SignalConfig,
        make_engine: Callable[[SignalConfig, Interval], Callable[[], EnginePort]],
        *,
        warmup: int = 400,
        min_rating_bars: int | None = None,
    ) -> None:
        self.repos = repos
        self.config = config
        self.pipelines = {
            iv: SignalPipeline(repos, notifier, make_engine(config, iv), interval=iv, warmup=warmup)
            for iv in INTERVALS
        }
        # enough bars to warm the slowest average and see a forward window after it, several times over
        self.min_rating_bars = min_rating_bars or config.sma_slow + 5 * HORIZON_BARS
        self._rated: dict[tuple[str, Interval], date] = {}
        self._recent: dict[str, dict[datetime, Bar]] = {}  # symbol -> the last half hour of 1m bars
        self._complete_since: dict[str, datetime] = {}  # from when `_recent` holds every stored 1m bar
        self._last_round: datetime | None = None
        self._behind: set[Interval] = set()  # timeframes whose last evaluation failed
        self.closed: dict[str, list[Bar]] = {}  # the last round's closed, stored bars (1m, 5m, 15m)

    async def on_minutes(
        self, new_1m: Mapping[str, Sequence[Bar]], now: datetime, close: datetime | None
    ) -> dict[Interval, EvalResult]:
        """Closed bars of every timeframe from the 1-minute bars just stored -> engines -> alerts."""
        results: dict[Interval, EvalResult] = {}
        built = await self._build(new_1m, now, close)
        for iv, pipeline in self.pipelines.items():
            watched = set(await self.repos.watches.list_watched_symbols(iv))
            feed = {s: b for s, b in built[iv].items() if s in watched and b}
            if not feed:
                continue
            try:
                if iv in self._behind:  # a failed round's bars are stored: evaluate them first
                    await pipeline.catch_up(sorted(watched))
                    self._behind.discard(iv)
                await self.rate(list(feed), iv, now)
                results[iv] = await pipeline.process(feed)
            except Exception:  # one timeframe must not stop the others, nor the minute collection
                logger.exception("%s signals failed this round; caught up with the next", iv)
                self._behind.add(iv)
        return results

    async def _build(
        self, new_1m: Mapping[str, Sequence[Bar]], now: datetime, close: datetime | None
    ) -> dict[Interval, dict[str, list[Bar]]]:
        """Closed 1m bars as they are; closed 5m/15m buckets rebuilt from the stored 1m bars and stored."""
        out: dict[Interval, dict[str, list[Bar]]] = {iv: {} for iv in INTERVALS}
        coarse: list[Bar] = []
        if self._last_round is None or now - self._last_round > _ROUND_GAP:  # rounds missed: forget
            self._recent.clear()
            self._complete_since.clear()
        self._last_round = now
        for symbol, bars in new_1m.items():
            ones = [b for b in bars if b.interval == Interval.M1]
            if not ones:
                continue
            out[Interval.M1][symbol] = sorted(ones, key=lambda b: b.ts)
            self._remember(symbol, out[Interval.M1][symbol])
            for iv in (Interval.M5, Interval.M15):
                starts = closed_buckets(ones, iv, now, close)
                if not starts:
                    continue
                step = timedelta(minutes=MINUTES[iv])
                if starts[0] >= self._complete_since.get(symbol, _NEVER):  # all handed to us: no query
                    stored = [
                        b for ts, b in self._recent[symbol].items() if starts[0] <= ts < starts[-1] + step
                    ]
                else:
                    stored = await self.repos.bars.list_bars(
                        symbol, Interval.M1, start=starts[0], end=starts[-1] + step - _TICK
                    )
                wanted = set(starts)
                made = [b for b in resample(stored, iv) if b.ts in wanted]
                out[iv][symbol] = made
                coarse.extend(made)
        if coarse:
            await self.repos.bars.upsert_bars(coarse)
        self.closed = {s: [b for iv in INTERVALS for b in out[iv].get(s, [])] for s in new_1m}
        return out

    def _remember(self, symbol: str, ones: list[Bar]) -> None:
        """Keep the last half hour of the 1m bars handed over. The updater hands every bar stored after
        the first one it handed, so from there on the buckets are built without reading storage."""
        recent = self._recent.setdefault(symbol, {})
        self._complete_since.setdefault(symbol, ones[0].ts)
        for b in ones:
            recent[b.ts] = b
        cutoff = ones[-1].ts - _KEEP
        for ts in [t for t in recent if t < cutoff]:
            del recent[ts]
        self._complete_since[symbol] = max(self._complete_since[symbol], cutoff)

    async def rate(self, symbols: list[str], interval: Interval, now: datetime) -> None:
        """Rate (symbol, interval) once a day from its stored bars, when there are enough of them."""
        today = now.date()
        for symbol in symbols:
            if self._rated.get((symbol, interval)) == today:
                continue
            self._rated[(symbol, interval)] = today
            bars = await self.repos.bars.list_bars(symbol, interval, limit=20_000)
            if len(bars) < self.min_rating_bars:
                logger.info("no %s rating for %s yet: %d stored bars", interval, symbol, len(bars))
                continue
            try:
                res = await asyncio.to_thread(
                    run_backtest, {symbol: bars}, config=self.config, horizons=(HORIZON_BARS,),
                    years=1.0, run_at=now,
                )  # fmt: skip
            except (UsageError, DataError, ValueError, ArithmeticError) as exc:
                logger.warning("%s rating of %s failed: %s", interval, symbol, exc)
                continue
            key = rating_symbol(symbol, interval)
            await self.repos.ratings.upsert_ratings([replace(r, symbol=key) for r in res.ratings()])

    async def save(self) -> None:
        for pipeline in self.pipelines.values():
            try:
                await pipeline.save()
            except Exception:
                logger.exception("could not save the %s signal state", pipeline.interval)
