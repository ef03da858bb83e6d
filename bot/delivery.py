"""Alerts into the outbox (`OutboxNotifier`); the outbox out to Telegram is `bot.sender.Sender`
(re-exported here).

Exactly once per recipient into the outbox: the notifier enqueues one row per (event, chat) under a
unique dedup_key, so publishing the same events twice enqueues nothing new. What the sender
guarantees on the way out (in flight rows, database faults, crashes) is in `bot.sender`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions

from bot.sender import Outcome, Sender
from bot.views import keyboard_json, pick_rating
from bot.views_alert import render_alert
from bot.views_combo import combo_study, render_combo_alert
from core.ports import Repositories
from core.timeutil import Clock, SystemClock
from core.types import (
    Chat,
    ChatKind,
    Language,
    OutboxMessage,
    QuietMode,
    Rating,
    SignalEvent,
    SignalType,
    Tier,
)

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def quiet_until(chat: Chat, now: datetime) -> datetime | None:
    """If `now` is inside the chat's quiet hours, the (UTC) moment they end; else None."""
    start, end = chat.quiet_start, chat.quiet_end
    if start is None or end is None or start == end:
        return None
    try:
        tz = ZoneInfo(chat.timezone)
    except (KeyError, ValueError):
        tz = ZoneInfo("Asia/Seoul")
    local = now.astimezone(tz)
    h = local.hour
    inside = start <= h < end if start < end else (h >= start or h < end)
    if not inside:
        return None
    until = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until.astimezone(UTC)


class OutboxNotifier:
    """`core.ports.Notifier`: one rendered outbox row per (event, watching chat).

    Batched: watchers, instruments and ratings are read once for all the events' symbols, the same
    alert text is rendered once per (event, language, send time), and every row goes into one
    `enqueue` call (one transaction)."""

    def __init__(self, repos: Repositories, *, clock: Clock | None = None, horizon: int = 20) -> None:
        self._repos = repos
        self._clock = clock or SystemClock()
        self._horizon = horizon

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        messages = await self.messages_for_events(events)
        enqueued = await self._repos.outbox.enqueue(messages) if messages else 0
        logger.info("published %d events, %d messages enqueued", len(events), enqueued)
        return enqueued

    async def messages_for(self, event: SignalEvent) -> list[OutboxMessage]:
        return await self.messages_for_events([event])

    async def messages_for_events(self, events: Sequence[SignalEvent]) -> list[OutboxMessage]:
        """The outbox rows for `events`, in event order and, per event, chat order."""
        if not events:
            return []
        repos = self._repos
        watchers = await repos.watches.list_watchers_many({e.symbol for e in events})
        watched = [e for e in events if watchers.get(e.symbol)]
        if not watched:
            return []
        instruments = await repos.instruments.get_instruments({e.symbol for e in watched})
        by_signal: dict[SignalType, set[str]] = defaultdict(set)
        for e in watched:
            by_signal[e.signal].add(e.symbol)
        ratings: dict[tuple[str, SignalType], list[Rating]] = {}
        for signal, signal_symbols in by_signal.items():  # only the (symbol, signal) pairs needed
            found = await repos.ratings.list_ratings_many(signal_symbols, [signal])
            ratings.update(((symbol, signal), rs) for symbol, rs in found.items())
        study = await combo_study(repos, watched)
        now = self._clock.now()
        holds: dict[int, datetime | None] = {}
        out: list[OutboxMessage] = []
        for event in watched:
            inst = instruments.get(event.symbol)
            rating = pick_rating(ratings.get((event.symbol, event.signal), ()), event.signal, self._horizon)
            rendered: dict[Language, tuple[str, dict[str, Any] | None]] = {}  # the text is the same
            # whenever it is sent (quiet hours only delay it): rendered once per language
            for chat, watch in watchers[event.symbol]:
                if not chat.active or chat.kind is ChatKind.CONSOLE:
                    continue
                if not watch.wants_event(event) or (event.pair is None and event.signal not in chat.signals):
                    continue
                if chat.chat_id not in holds:
                    holds[chat.chat_id] = quiet_until(chat, now)
                hold = holds[chat.chat_id]
                if hold is not None and chat.quiet_mode is QuietMode.DROP:
                    logger.debug("alert %s dropped for chat %s: quiet hours", event.key, chat.chat_id)
                    continue
                text_markup = rendered.get(chat.language)
                if text_markup is None:
                    reply = (
                        render_alert(chat.language, event, inst, rating)
                        if event.pair is None
                        else render_combo_alert(chat.language, event, inst, study)
                    )
                    text_markup = rendered[chat.language] = (
                        reply.text,
                        keyboard_json(reply.buttons),
                    )
                text, markup = text_markup
                out.append(
                    OutboxMessage(
                        chat_id=chat.chat_id,
                        dedup_key=f"alert:{event.key}:{chat.chat_id}",
                        text=text,
                        kind="alert",
                        event_id=event.id,
                        silent=chat.silent,
                        reply_markup=markup,
                        not_before=hold,
                        premium=chat.tier is Tier.PREMIUM,
                    )
                )
        return out


__all__ = ["OutboxNotifier", "Outcome", "Sender", "quiet_until"]
