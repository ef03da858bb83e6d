"""Alerts into the outbox (`OutboxNotifier`); the outbox out to Telegram is `bot.sender.Sender`
(re-exported here).

Exactly once per recipient into the outbox: the notifier enqueues one row per (event, chat) under a
unique dedup_key, so publishing the same events twice enqueues nothing new. What the sender
guarantees on the way out (in flight rows, database faults, crashes) is in `bot.sender`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence, Set
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions

from bot.digest import EventPlan, Planned, fold
from bot.sender import Outcome, Sender
from bot.views import keyboard_json
from bot.views_alert import rating_key, render_alert
from bot.views_combo import combo_study, render_combo_alert
from bot.views_user_alert import DigestItem, render_hit
from core.errors import StorageError
from core.ports import Repositories
from core.timeutil import Clock, SystemClock
from core.types import (
    AlertHit,
    Chat,
    ChatKind,
    Fanout,
    Language,
    OutboxMessage,
    QuietMode,
    Recipient,
    SignalEvent,
    Tier,
)
from signals.user_alerts import Margins

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_UNSET = datetime.min


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
    alert text is rendered once per (event, language), and every row goes into one
    `enqueue` call (one transaction)."""

    def __init__(
        self,
        repos: Repositories,
        *,
        clock: Clock | None = None,
        horizon: int = 20,
        digest: bool = True,
        margins: Margins | None = None,
    ) -> None:
        self._repos = repos
        self._clock = clock or SystemClock()
        self._horizon = horizon
        self._digest = digest  # issue 24: the alerts of one close as one message per chat
        self._margins = margins or Margins()

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        plans = await self._plan_events(events)
        fanouts = [p.fanout for p in plans]
        enqueued = await self._repos.outbox.enqueue_fanouts(fanouts) if fanouts else 0
        logger.info("published %d events, %d messages enqueued", len(events), enqueued)
        return enqueued

    async def read_ahead(self) -> None:
        """`core.ports.ReadsAhead`: watchers, instruments and the ratings alerts quote held in memory
        (again, where they changed since), so that a close reads only their versions."""
        repos = self._repos
        try:
            t0 = time.perf_counter()
            watches = await repos.watches.cache_watcher_groups()
            instruments = await repos.instruments.cache_instruments()
            ratings = await repos.ratings.cache_ratings(self._horizon)
        except StorageError as exc:  # the next close reads the database instead
            logger.warning("watchers, instruments and ratings not read ahead: %s", exc)
            return
        logger.debug("read ahead in %.3fs: %d watches, %d instruments, %d ratings held",
                     time.perf_counter() - t0, watches, instruments, ratings)  # fmt: skip

    async def messages_for(self, event: SignalEvent) -> list[OutboxMessage]:
        return await self.messages_for_events([event])

    async def messages_for_events(self, events: Sequence[SignalEvent]) -> list[OutboxMessage]:
        """The outbox rows for `events`, in event order and, per event, chat order."""
        return [m for p in await self._plan_events(events) for m in p.fanout.messages()]

    async def publish_close(
        self, events: Sequence[SignalEvent], hits: Sequence[AlertHit], *, created: Set[str] = frozenset()
    ) -> int:
        """`core.ports.CloseNotifier`: signal events and chats' own alerts of one bar close; with
        `digest`, a chat with two or more of them gets one message listing them (`bot.digest`), whose
        check of what is already enqueued leaves out the alerts of the events in `created`."""
        plans = await self._plan_events(events)
        planned = await self._plan_hits(hits)
        if not plans and not planned:
            return 0
        if self._digest:  # chats with one alert this close keep their fan-out rows; the others fold
            unsent = {f"alert:{key}" for key in created}  # their fan-out keys (`_plan_events`)
            fanouts, messages = await fold(self._repos.outbox, plans, planned, unsent)
        else:
            fanouts, messages = [p.fanout for p in plans], [p.message for p in planned]
        enqueued = await self._repos.outbox.enqueue_fanouts(fanouts, messages)
        logger.info(
            "published %d events and %d own alerts, %d rows enqueued", len(events), len(hits), enqueued
        )
        return enqueued

    async def _plan_hits(self, hits: Sequence[AlertHit]) -> list[Planned]:
        """One row per fired own alert, to its chat (quiet hours as for signal alerts)."""
        if not hits:
            return []
        repos = self._repos
        instruments = await repos.instruments.get_instruments({h.alert.symbol for h in hits})
        chats: dict[int, Chat | None] = {}
        now = self._clock.now()
        out: list[Planned] = []
        for hit in hits:
            cid = hit.alert.chat_id
            if cid not in chats:
                chats[cid] = await repos.chats.get_chat(cid)
            chat = chats[cid]
            if chat is None or not chat.active or chat.kind is ChatKind.CONSOLE:
                continue
            hold = quiet_until(chat, now)
            if hold is not None and chat.quiet_mode is QuietMode.DROP:
                continue
            inst = instruments.get(hit.alert.symbol)
            reply = render_hit(chat.language, hit, inst, self._margins)
            message = OutboxMessage(
                chat_id=cid,
                dedup_key=hit.key,
                text=reply.text,
                kind="alert",
                silent=chat.silent,
                reply_markup=keyboard_json(reply.buttons),
                not_before=hold,
            )
            out.append(Planned(message, DigestItem(inst, hit=hit), chat.language))
        return out

    async def _plan_events(self, events: Sequence[SignalEvent]) -> list[EventPlan]:
        """Per watched event, its alert rendered once per language and its recipients in chat order."""
        if not events:
            return []
        repos = self._repos
        watchers = await repos.watches.list_watcher_groups({e.symbol for e in events})
        watched = [e for e in events if watchers.get(e.symbol)]
        if not watched:
            return []
        instruments = await repos.instruments.get_instruments({e.symbol for e in watched})
        # only the (symbol, signal) pairs needed, each at the horizon alerts quote (`pick_rating`)
        ratings = await repos.ratings.pick_ratings(
            {(rating_key(e), e.signal) for e in watched}, self._horizon
        )
        study = await combo_study(repos, watched)
        now = self._clock.now()
        holds: dict[int, datetime | None] = {}  # per group (its chats share timezone and hours)
        out: list[EventPlan] = []
        for event in watched:
            inst = instruments.get(event.symbol)
            rating = ratings.get((rating_key(event), event.signal))
            # the text is the same whenever it is sent (quiet hours only delay it): once per language
            versions: dict[Language, int] = {}
            recipients: list[Recipient] = []
            for group in watchers[event.symbol]:  # decided once per group of chats alike
                chat, watch = group.chat, group.watch
                if not chat.active or chat.kind is ChatKind.CONSOLE:
                    continue
                if not watch.wants_event(event) or (event.pair is None and event.signal not in chat.signals):
                    continue
                if (hold := holds.get(id(group), _UNSET)) is _UNSET:
                    hold = holds[id(group)] = quiet_until(chat, now)
                if hold is not None and chat.quiet_mode is QuietMode.DROP:
                    logger.debug("alert %s dropped for %d chats: quiet hours", event.key, len(group.chat_ids))
                    continue
                version = versions.get(chat.language)
                if version is None:
                    version = versions[chat.language] = len(versions)
                silent, premium = chat.silent, chat.tier is Tier.PREMIUM
                recipients += [(cid, version, silent, hold, premium) for cid in group.chat_ids]
            recipients.sort(key=itemgetter(0))  # chat order, as one row per chat would come
            if not recipients:
                continue
            replies = [
                render_alert(lang, event, inst, rating)
                if event.pair is None
                else render_combo_alert(lang, event, inst, study)
                for lang in versions
            ]
            fanout = Fanout(
                key=f"alert:{event.key}",
                texts=tuple(r.text for r in replies),
                markups=tuple(keyboard_json(r.buttons) for r in replies),
                recipients=recipients,
                event_id=event.id,
            )
            item = DigestItem(inst, event=event, rating=rating, study=study if event.pair else None)
            out.append(EventPlan(fanout, item, tuple(versions)))
        return out


__all__ = ["OutboxNotifier", "Outcome", "Sender", "quiet_until"]
