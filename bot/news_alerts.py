"""Per-chat news alerts (issue 8.6): new headlines about watched symbols into the outbox.

Off by default (`Chat.news_alerts`, `/settings news on|off`). One outbox row per (item, chat) under
`news:{sha1(url)[:16]}:{chat_id}` (the canonical URL is the item's stable identity, stored or not),
so publishing an item twice enqueues nothing new. Quiet hours work as for signal alerts: held until
they end ('hold') or skipped ('drop'). At most `per_chat_per_hour` news messages per chat in any
rolling hour, counted by delivery time (a held message counts at the end of the quiet hours) and
kept in the state repository (`news-alerts:{chat_id}`), so the limit survives restarts. Items over
the limit are dropped (news is perishable; a backlog would arrive stale), and so are items older
than `max_age` (the first crawl of a new feed must not flood chats with old headlines).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.delivery import quiet_until
from bot.views import keyboard_json, render_news_alert
from core.ports import Repositories
from core.timeutil import Clock, SystemClock, ensure_utc
from core.types import Chat, ChatKind, NewsItem, OutboxMessage, QuietMode, Watch

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)


def dedup_key(item: NewsItem, chat_id: int) -> str:
    return f"news:{hashlib.sha1(item.url.encode()).hexdigest()[:16]}:{chat_id}"


def state_key(chat_id: int) -> str:
    return f"news-alerts:{chat_id}"


class Translations(Protocol):
    """Korean titles and summaries of English items (`ask.translate.NewsTranslator`, issue 23)."""

    async def cached(self, item: NewsItem) -> Any: ...

    def translate_soon(self, items: Sequence[NewsItem]) -> int: ...


class NewsAlerter:
    """`core.ports.NewsPublisher`: fans new headlines out to the chats that asked for news alerts."""

    def __init__(
        self,
        repos: Repositories,
        *,
        clock: Clock | None = None,
        per_chat_per_hour: int = 3,
        max_age: timedelta = timedelta(hours=12),
        translations: Translations | None = None,
    ) -> None:
        if per_chat_per_hour < 1:
            raise ValueError("per_chat_per_hour must be at least 1")
        self._repos = repos
        self._clock = clock or SystemClock()
        self._limit = per_chat_per_hour
        self._max_age = max_age
        self._translations = translations  # read from the cache only: an alert never waits on the model
        self._lock = asyncio.Lock()  # one publish at a time: the per-chat counts stay exact

    async def publish_news(self, items: Sequence[NewsItem]) -> int:
        """Enqueue alerts for new items; returns the number of messages enqueued."""
        if self._translations is not None:
            self._translations.translate_soon(items)  # background; later readers get Korean
        async with self._lock:
            now = self._clock.now()
            watchers: dict[str, list[tuple[Chat, Watch]]] = {}
            enqueued = 0
            for item in items:
                if not item.symbols:
                    continue
                if ensure_utc(item.published) < now - self._max_age:
                    logger.debug("news %s not alerted: published %s", item.url[:80], item.published)
                    continue
                for chat, symbol in await self._recipients(item, watchers):
                    enqueued += await self._alert(chat, item, symbol, now)
            if enqueued:
                logger.info("news alerts: %d items, %d messages enqueued", len(items), enqueued)
            return enqueued

    async def _recipients(
        self, item: NewsItem, cache: dict[str, list[tuple[Chat, Watch]]]
    ) -> list[tuple[Chat, str]]:
        """Active opted-in chats watching one of the item's symbols, each once with the first match."""
        chosen: dict[int, tuple[Chat, str]] = {}
        for symbol in dict.fromkeys(item.symbols):
            if symbol not in cache:
                cache[symbol] = await self._repos.watches.list_watchers(symbol)
            for chat, _watch in cache[symbol]:
                if chat.chat_id in chosen or not chat.active or not chat.news_alerts:
                    continue
                if chat.kind is ChatKind.CONSOLE:
                    continue
                chosen[chat.chat_id] = (chat, symbol)
        return list(chosen.values())

    async def _alert(self, chat: Chat, item: NewsItem, symbol: str, now: datetime) -> int:
        hold = quiet_until(chat, now)
        if hold is not None and chat.quiet_mode is QuietMode.DROP:
            logger.debug("news alert dropped for chat %s: quiet hours", chat.chat_id)
            return 0
        at = hold or now
        recent = await self._recent(chat.chat_id, at)
        if len(recent) >= self._limit:
            logger.info("news alert for chat %s dropped: %d in the last hour", chat.chat_id, len(recent))
            return 0
        if self._translations is not None and chat.language == "ko":
            korean = await self._translations.cached(item)
            if korean is not None:
                item = replace(item, title=korean.title, summary=korean.summary or item.summary)
        reply = render_news_alert(chat.language, item, symbol)
        message = OutboxMessage(
            chat_id=chat.chat_id,
            dedup_key=dedup_key(item, chat.chat_id),
            text=reply.text,
            kind="news",
            silent=chat.silent,
            reply_markup=keyboard_json(reply.buttons),
            not_before=hold,
        )
        if await self._repos.outbox.enqueue([message]) == 0:
            return 0  # already alerted: does not count again
        times = sorted([*recent, at])
        await self._repos.state.put_state(
            state_key(chat.chat_id), json.dumps([t.isoformat() for t in times]).encode()
        )
        return 1

    async def _recent(self, chat_id: int, at: datetime) -> list[datetime]:
        """Delivery times of this chat's news alerts that fall in the hour before `at` (or later)."""
        raw = await self._repos.state.get_state(state_key(chat_id))
        if not raw:
            return []
        try:
            times = [ensure_utc(datetime.fromisoformat(v)) for v in json.loads(raw)]
        except (ValueError, TypeError) as exc:
            logger.warning("news alert counter of chat %s unreadable, reset: %s", chat_id, exc)
            return []
        return [t for t in times if t > at - WINDOW]
