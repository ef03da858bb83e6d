"""Premium briefings: watched markets, carbon prices, the day's signals with ratings, top news."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import signal_name, t
from bot.services import BotServices
from bot.views import esc, fit, num, pct, pick_rating, rating_line
from core.errors import FinsignalError
from core.settings import Settings
from core.timeutil import KST, Clock, SystemClock, fmt_kst
from core.types import Instrument, Language, NewsItem, OutboxMessage, Rating, SignalEvent, Tier

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


class Briefer:
    """`core.ports.Briefer`: renders the briefing once per language and enqueues it per recipient."""

    def __init__(self, services: BotServices, settings: Settings, *, clock: Clock | None = None) -> None:
        self._svc = services
        self._repos = services.repos
        self._settings = settings
        self._clock = clock or SystemClock()

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
        data = await self._gather(now)
        texts = {lang: self.render(lang, data, slot) for lang in {r[1] for r in recipients}}
        day = now.astimezone(KST).date().isoformat()
        messages = [
            OutboxMessage(
                chat_id=chat_id,
                dedup_key=f"briefing:{day}:{slot}:{chat_id}",
                text=texts[lang],
                kind="briefing",
                thread_id=thread,
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
        events = await self._repos.events.list_events(since=now - timedelta(hours=24), limit=20)
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
