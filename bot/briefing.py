"""Premium briefings: watched markets, carbon prices, the day's signals with ratings, top news; and once
a week (slot `weekly`) the week's moves, the week's signals with how they have done since, carbon, news."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import signal_name, t
from bot.services import BotServices
from bot.views import esc, fit, money, num, pct, pick_rating, rating_line
from core.errors import FinsignalError
from core.ports import WEEKLY_SLOT
from core.settings import Settings
from core.timeutil import KST, Clock, SystemClock, fmt_kst
from core.types import Bar, Instrument, Interval, Language, NewsItem, OutboxMessage, Rating, SignalEvent, Tier

logger = logging.getLogger(__name__)

CARBON = ("KAU", "FCO2.DE", "EUA-AUCTION")
MAX_MARKETS = 15


@dataclass(frozen=True, slots=True)
class BriefingData:
    """What one briefing shows (gathered once, rendered per language)."""

    now: datetime
    markets: list[str]
    carbon: list[str]
    events: list[SignalEvent]
    ratings: dict[str, list[Rating]]
    news: list[NewsItem]
    since: dict[str, str] | None = None  # weekly: event key -> how the market has moved since


class Briefer:
    """`core.ports.Briefer`: renders the briefing once per language and enqueues it per recipient."""

    def __init__(self, services: BotServices, settings: Settings, *, clock: Clock | None = None) -> None:
        self._svc = services
        self._repos = services.repos
        self._settings = settings
        self._clock = clock or SystemClock()
        self._week_bars: dict[str, list[Bar]] = {}

    async def send_briefing(self, slot: str) -> int:
        now = self._clock.now()
        recipients: list[tuple[int, Language, int | None]] = []
        if self._settings.premium_channel_id is not None:
            lang = Language(self._settings.default_language)
            recipients.append((self._settings.premium_channel_id, lang, self._settings.premium_topic_id))
        for chat in await self._repos.chats.list_chats(active_only=True, tier=Tier.PREMIUM.value):
            if chat.chat_id != self._settings.premium_channel_id and chat.chat_id != 0:
                recipients.append((chat.chat_id, chat.language, None))
        if not recipients:
            logger.info("briefing %s: no premium recipients", slot)
            return 0
        weekly = slot == WEEKLY_SLOT
        data = await (self._gather_week(now) if weekly else self._gather(now))
        render = self.render_week if weekly else self.render
        texts = {lang: render(lang, data, slot) for lang in {r[1] for r in recipients}}
        local = now.astimezone(KST).date()
        year, week, _ = local.isocalendar()
        day = f"{year}-W{week:02d}" if weekly else local.isoformat()
        messages = [
            OutboxMessage(
                chat_id=chat_id,
                dedup_key=f"briefing:{day}:{slot}:{chat_id}",
                text=texts[lang],
                kind="briefing",
                thread_id=thread,
                premium=True,  # briefings go to premium chats and the premium channel only
            )
            for chat_id, lang, thread in recipients
        ]
        count = await self._repos.outbox.enqueue(messages)
        logger.info("briefing %s enqueued for %d of %d recipients", slot, count, len(messages))
        return count

    async def _gather(self, now: datetime) -> BriefingData:
        symbols = (await self._repos.watches.list_watched_symbols())[:MAX_MARKETS]
        markets = [await self._line(sym) for sym in symbols if sym not in CARBON]
        carbon = [await self._line(sym) for sym in CARBON]
        # daily signals only: minute-bar alerts went out as they fired and would crowd these out
        events = await self._repos.events.list_events(
            since=now - timedelta(hours=24), limit=20, interval=Interval.D1
        )
        ratings: dict[str, list[Rating]] = {}
        for e in events:
            if e.symbol not in ratings:
                ratings[e.symbol] = await self._repos.ratings.list_ratings(e.symbol)
        news: list[NewsItem] = []
        if self._svc.news is not None:
            try:
                news = await self._svc.news.latest(None, 3)
            except FinsignalError as exc:
                logger.warning("briefing: news unavailable: %s", exc)
        return BriefingData(now, markets, carbon, events, ratings, news)

    async def _gather_week(self, now: datetime) -> BriefingData:
        self._week_bars = {}
        symbols = (await self._repos.watches.list_watched_symbols())[:MAX_MARKETS]
        markets = [await self._week_line(sym) for sym in symbols if sym not in CARBON]
        carbon = [await self._week_line(sym) for sym in CARBON]
        events = await self._repos.events.list_events(
            since=now - timedelta(days=7), limit=30, interval=Interval.D1
        )
        events = sorted(events, key=lambda e: (e.ts, e.symbol))
        ratings: dict[str, list[Rating]] = {}
        since: dict[str, str] = {}
        for e in events:
            if e.symbol not in ratings:
                ratings[e.symbol] = await self._repos.ratings.list_ratings(e.symbol)
            since[e.key] = await self._since(e)
        news: list[NewsItem] = []
        if self._svc.news is not None:
            try:
                news = await self._svc.news.latest(None, 5)
            except FinsignalError as exc:
                logger.warning("weekly briefing: news unavailable: %s", exc)
        return BriefingData(now, markets, carbon, events, ratings, news, since)

    async def _bars(self, symbol: str, days: int = 14) -> list[Bar]:
        """The last two weeks of daily bars (one read per symbol and briefing)."""
        if symbol not in self._week_bars:
            try:
                self._week_bars[symbol] = await self._svc.history.bars(symbol, days)
            except FinsignalError as exc:
                logger.warning("weekly briefing: no history for %s: %s", symbol, exc)
                self._week_bars[symbol] = []
        return self._week_bars[symbol]

    async def _week_line(self, symbol: str) -> str:
        """'SPY 396.33 USD · week +1.85%': the last close against the last close a week before it."""
        inst = await self._instrument(symbol)
        name = esc(inst.symbol if inst else symbol)
        bars = await self._bars(inst.symbol) if inst else []
        if inst is None or len(bars) < 2:
            return f"{name} -"
        last = bars[-1]
        base = next((b for b in reversed(bars) if b.ts <= last.ts - timedelta(days=7)), bars[0])
        change = (last.adj_close / base.adj_close - 1.0) * 100.0 if base.adj_close else None
        return f"{name} {money(last.close, inst.currency)} · {{week}} {pct(change)}"

    async def _since(self, e: SignalEvent) -> str:
        """'→ 72.35 (+1.90%) ✓': the latest close against the signal's, ticked when the market went the
        signal's way (a volume spike has no way)."""
        bars = await self._bars(e.symbol)
        if not bars or bars[-1].ts <= e.ts or not e.close:
            return ""
        inst = await self._instrument(e.symbol)
        cur = inst.currency if inst else ""
        change = (bars[-1].close / e.close - 1.0) * 100.0
        verdict = {1: " ✓", -1: " ✗"}.get(
            e.signal.direction * (1 if change > 0 else -1 if change < 0 else 0), ""
        )
        return f" @ {money(e.close, cur)} → {money(bars[-1].close, cur, unit=False)} ({pct(change)}){verdict}"

    def render_week(self, lang: Language, data: BriefingData, slot: str) -> str:
        """The weekly briefing: moves, signals and how they did since, carbon, news."""
        week = t(lang, "week")
        lines = [t(lang, "briefing_weekly_title", when=fmt_kst(data.now))]
        moves = [f"• {m.replace('{week}', week)}" for m in data.markets]
        lines += ["", t(lang, "briefing_week_markets")] + (moves or [t(lang, "none")])
        lines += ["", t(lang, "briefing_carbon")] + [f"• {c.replace('{week}', week)}" for c in data.carbon]
        lines += ["", t(lang, "briefing_week_signals")]
        for e in data.events:
            line = f"• {e.ts:%m-%d} <b>{esc(e.symbol)}</b> {esc(signal_name(lang, e.signal))}" + (
                (data.since or {}).get(e.key) or f" @ {num(e.close)}"
            )
            rating = pick_rating(data.ratings.get(e.symbol, []), e.signal)
            lines.append(line + (f" · {rating_line(lang, rating)}" if rating else ""))
        if not data.events:
            lines.append(t(lang, "none"))
        lines += ["", t(lang, "briefing_news")]
        for n in data.news:
            url = html.escape(n.url[:500], quote=True)
            lines.append(f'• <a href="{url}">{esc(n.title, 200)}</a> · {esc(n.source, 40)}')
        if not data.news:
            lines.append(t(lang, "none"))
        return fit(lines)

    async def _instrument(self, symbol: str) -> Instrument | None:
        inst = await self._repos.instruments.get_instrument(symbol)
        if inst is not None:
            return inst
        try:
            return await self._svc.resolver.resolve(symbol)
        except FinsignalError as exc:
            logger.warning("briefing: cannot resolve %s: %s", symbol, exc)
            return None

    async def _line(self, symbol: str) -> str:
        inst = await self._instrument(symbol)
        if inst is None:
            return f"{esc(symbol)} -"
        try:
            quote, _age = await self._svc.quotes.quote(inst)
        except FinsignalError as exc:
            logger.warning("briefing: no quote for %s: %s", inst.symbol, exc)
            return f"{esc(inst.symbol)} -"
        return f"{esc(inst.symbol)} {num(quote.price)} {esc(inst.currency, 8)} ({pct(quote.change_pct)})"

    def render(self, lang: Language, data: BriefingData, slot: str) -> str:
        lines = [t(lang, "briefing_title", when=f"{fmt_kst(data.now)} · {esc(slot, 10)}")]
        lines += ["", t(lang, "briefing_markets")] + ([f"• {m}" for m in data.markets] or [t(lang, "none")])
        lines += ["", t(lang, "briefing_carbon")] + [f"• {c}" for c in data.carbon]
        lines += ["", t(lang, "briefing_signals")]
        for e in data.events:
            line = f"• <b>{esc(e.symbol)}</b> {esc(signal_name(lang, e.signal))} @ {num(e.close)}"
            rating = pick_rating(data.ratings.get(e.symbol, []), e.signal)
            lines.append(line + (f" · {rating_line(lang, rating)}" if rating else ""))
        if not data.events:
            lines.append(t(lang, "none"))
        lines += ["", t(lang, "briefing_news")]
        for n in data.news:
            url = html.escape(n.url[:500], quote=True)
            lines.append(f'• <a href="{url}">{esc(n.title, 200)}</a> · {esc(n.source, 40)}')
        if not data.news:
            lines.append(t(lang, "none"))
        return fit(lines)
