"""Chats' own alerts (issue 24) checked against new bars: daily closes (through the signal pipeline,
so they share a digest with the signal events of the same close) and intraday minute bars where a
market has them (KRX, `update_minute_bars`).

Values: price alerts compare the bar's close (as traded); `move` compares the close with the previous
session's close (adjusted prices, so a split is no move); RSI alerts use RSI 14 of the adjusted daily
closes and are checked on daily closes only. State (armed or not) is read from storage, stepped bar by
bar, and written back only after the hits were handed to delivery: a crash in between fires the same
hits again on the same bars, which the outbox's dedup_key (`ualert:{id}:{bar time}`) swallows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.ports import CloseNotifier, Notifier, Repositories
from core.types import AlertHit, AlertRule, Bar, Interval, Quote, SignalEvent, UserAlert
from market.indicators import rsi
from signals.user_alerts import Margins, daily_move, step

logger = logging.getLogger(__name__)

_TICK = timedelta(microseconds=1)
_RSI_RULES = (AlertRule.RSI_ABOVE, AlertRule.RSI_BELOW)
Send = Callable[[list[AlertHit]], Awaitable[int]]


async def publish_close(
    notifier: Notifier,
    events: Sequence[SignalEvent],
    hits: Sequence[AlertHit],
    created: Set[str] = frozenset(),
) -> int:
    """Events and hits of one bar close to a notifier (hits only if it can deliver them); `created`
    as in `core.ports.CloseNotifier.publish_close`."""
    if isinstance(notifier, CloseNotifier):
        return await notifier.publish_close(events, hits, created=created)
    if hits:
        logger.warning("%d user alerts not delivered: the notifier cannot deliver them", len(hits))
    return await notifier.publish(events) if events else 0


def quote_bar(quote: Quote) -> Bar:
    """A refreshed quote as the minute bar it falls in (markets without stored minute bars): own
    alerts then treat it like an intraday bar, one check per minute at most."""
    ts = quote.ts.replace(second=0, microsecond=0)
    p = quote.price
    return Bar(quote.symbol, Interval.M1, ts, p, p, p, p, 0.0, source=f"quote:{quote.source}")


class UserAlertWatcher:
    """Steps the stored alerts of the symbols in new bars; one check at a time (daily and minute
    rounds may overlap at a close)."""

    def __init__(
        self, repos: Repositories, margins: Margins, *, rsi_period: int = 14, warmup: int = 400
    ) -> None:
        self._repos = repos
        self._margins = margins
        self._rsi_period = rsi_period
        self._warmup = warmup
        self._lock = asyncio.Lock()

    async def deliver(self, new_bars: Mapping[str, Sequence[Bar]], send: Send) -> int:
        """Check the alerts on `new_bars`, hand the hits to `send` (always called, hits or not: it also
        carries the close's signal events), then store the alerts' new states."""
        async with self._lock:
            hits, changes = await self.check(new_bars)
            enqueued = await send(hits)
            if changes:
                await self._repos.user_alerts.set_armed(changes, datetime.now(UTC))
            if hits:
                logger.info(
                    "user alerts: %d fired on %d symbols", len(hits), len({h.alert.symbol for h in hits})
                )
            return enqueued

    async def check(
        self, new_bars: Mapping[str, Sequence[Bar]]
    ) -> tuple[list[AlertHit], list[tuple[int, bool]]]:
        """(hits in bar order, (alert id, armed) for every alert whose state changed)."""
        symbols = [s for s, bars in new_bars.items() if bars]
        if not symbols:
            return [], []
        alerts = await self._repos.user_alerts.list_for_symbols(symbols)
        by_symbol: dict[str, list[UserAlert]] = {}
        for a in alerts:
            by_symbol.setdefault(a.symbol, []).append(a)
        hits: list[AlertHit] = []
        changes: list[tuple[int, bool]] = []
        for symbol, mine in by_symbol.items():
            bars = sorted({b.ts: b for b in new_bars[symbol]}.values(), key=lambda b: b.ts)
            h, c = await self._step_symbol(symbol, mine, bars)
            hits += h
            changes += c
        hits.sort(key=lambda h: (h.ts, h.alert.id or 0))
        return hits, changes

    async def _step_symbol(
        self, symbol: str, alerts: list[UserAlert], bars: list[Bar]
    ) -> tuple[list[AlertHit], list[tuple[int, bool]]]:
        daily = bars[0].interval is Interval.D1
        prev = await self._prev_closes(symbol, bars, daily)
        rsis = await self._rsis(symbol, bars) if daily and any(a.rule in _RSI_RULES for a in alerts) else {}
        armed = {a.id: a.armed for a in alerts}
        hits: list[AlertHit] = []
        for bar in bars:
            for a in alerts:
                value = self._value(a, bar, prev.get(bar.ts), rsis.get(bar.ts))
                if value is None:
                    continue
                fires, armed[a.id] = step(a, armed[a.id], value, self._margins)
                if fires:
                    hits.append(AlertHit(a, bar.ts, bar.interval, bar.close, value))
        changes = [(a.id, armed[a.id]) for a in alerts if a.id is not None and armed[a.id] != a.armed]
        return hits, changes

    @staticmethod
    def _value(alert: UserAlert, bar: Bar, prev: float | None, rsi_value: float | None) -> float | None:
        if alert.rule in (AlertRule.ABOVE, AlertRule.BELOW):
            return bar.close
        if alert.rule is AlertRule.MOVE:
            return daily_move(bar.adj_close, prev)
        return rsi_value

    async def _prev_closes(self, symbol: str, bars: list[Bar], daily: bool) -> dict[datetime, float]:
        """For each bar, the previous session's adjusted close."""
        out: dict[datetime, float] = {}
        if daily:
            stored = await self._repos.bars.list_bars(symbol, Interval.D1, end=bars[0].ts - _TICK, limit=1)
            last = stored[-1].adj_close if stored else None
            for bar in bars:
                if last is not None:
                    out[bar.ts] = last
                last = bar.adj_close
            return out
        tz = await self._timezone(symbol)
        cache: dict[date, float | None] = {}
        for bar in bars:
            day = bar.ts.astimezone(tz).date()
            if day not in cache:
                end = datetime.combine(day, time(), UTC) - _TICK  # daily bars sit at 00:00 UTC of their date
                stored = await self._repos.bars.list_bars(symbol, Interval.D1, end=end, limit=1)
                cache[day] = stored[-1].adj_close if stored else None
            if (value := cache[day]) is not None:
                out[bar.ts] = value
        return out

    async def _rsis(self, symbol: str, bars: list[Bar]) -> dict[datetime, float]:
        """RSI of the adjusted daily closes at each new daily bar."""
        history = await self._repos.bars.list_bars(
            symbol, Interval.D1, end=bars[0].ts - _TICK, limit=self._warmup
        )
        closes = [b.adj_close for b in history]
        out: dict[datetime, float] = {}
        for bar in bars:
            closes.append(bar.adj_close)
            value = rsi(closes[-self._warmup :], self._rsi_period)
            if value is not None:
                out[bar.ts] = value
        return out

    async def _timezone(self, symbol: str) -> ZoneInfo:
        found = await self._repos.instruments.get_instruments({symbol})
        inst = found.get(symbol)
        try:
            return ZoneInfo(inst.timezone) if inst else ZoneInfo("UTC")
        except (KeyError, ValueError):
            return ZoneInfo("UTC")
