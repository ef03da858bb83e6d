"""Alerts into the outbox (`OutboxNotifier`) and the outbox out to Telegram (`Sender`).

Exactly once per recipient: the notifier enqueues one row per (event, chat) under a unique dedup_key,
so publishing the same events twice enqueues nothing new. The sender marks a row sent right after
Telegram accepts it. A restart resumes with the rows still pending.

The crash window: if the process dies after Telegram accepted a message but before `mark_sent` is
committed, that one row is still pending and is sent again on restart (at-least-once for at most one
message per chat being sent at that instant, i.e. at most `concurrency` messages). Nothing can close
this window without Telegram-side idempotency keys, which the Bot API does not have. Cancelling the
sender (shutdown, task cancel) does not open it: each send-and-mark pair is shielded and finishes first.
Likewise a `TimedOut` may hide an accepted message; we retry it (a duplicate beats a lost alert).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.ratelimit import NO_RETRY, retry_seconds
from bot.views import MAX_CAPTION, fit, keyboard_json, pick_rating
from bot.views_alert import render_alert
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
        now = self._clock.now()
        holds: dict[int, datetime | None] = {}
        out: list[OutboxMessage] = []
        for event in watched:
            inst = instruments.get(event.symbol)
            rating = pick_rating(ratings.get((event.symbol, event.signal), ()), event.signal, self._horizon)
            rendered: dict[tuple[Language, datetime], tuple[str, dict[str, Any] | None]] = {}
            for chat, watch in watchers[event.symbol]:
                if not chat.active or chat.kind is ChatKind.CONSOLE:
                    continue
                if event.signal not in chat.signals or not watch.wants(event.signal):
                    continue
                if chat.chat_id not in holds:
                    holds[chat.chat_id] = quiet_until(chat, now)
                hold = holds[chat.chat_id]
                if hold is not None and chat.quiet_mode is QuietMode.DROP:
                    logger.debug("alert %s dropped for chat %s: quiet hours", event.key, chat.chat_id)
                    continue
                sent_at = hold or now
                text_markup = rendered.get((chat.language, sent_at))
                if text_markup is None:
                    reply = render_alert(chat.language, event, inst, rating)
                    text_markup = rendered[(chat.language, sent_at)] = (
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
                    )
                )
        return out


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    CHAT_GONE = "chat_gone"


class Sender:
    """Drains the outbox within Telegram's limits (the bot's `ChatRateLimiter` paces every send).

    Run one sender per database, or give each a distinct `lease_owner`: then only the holder of the
    'outbox-sender' lease drains, and a second process takes over when the first stops renewing it."""

    def __init__(
        self,
        bot: ExtBot[int],
        repos: Repositories,
        *,
        clock: Clock | None = None,
        batch: int = 200,
        concurrency: int = 16,
        max_attempts: int = 8,
        max_retry_after: int = 5,
        idle_s: float = 1.0,
        backoff_s: float = 2.0,
        lease_owner: str | None = None,
        lease_ttl_s: float = 60.0,
    ) -> None:
        self._bot = bot
        self._repos = repos
        self._clock = clock or SystemClock()
        self._batch = batch
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after
        self._idle_s = idle_s
        self._backoff_s = backoff_s
        self._pause_until = 0.0
        self._migrated: dict[int, int] = {}
        self._lease_owner = lease_owner
        self._lease_ttl_s = lease_ttl_s  # rows claimed before a migration still carry the old id
        self._rl_args = NO_RETRY if bot.rate_limiter is not None else None
        self._inflight: set[asyncio.Task[Outcome]] = set()
        self.sent = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until `stop` is set; on cancel, in-flight send-and-mark pairs finish first."""
        try:
            while not stop.is_set():
                try:
                    claimed = 0
                    if await self._holds_lease():
                        # stop starting sends well before the lease could expire under us
                        claimed = await self.drain_once(deadline=time.monotonic() + self._lease_ttl_s / 2)
                except Exception:
                    logger.exception("outbox drain failed; retrying")
                    claimed = 0
                if claimed == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self._idle_s)
        finally:
            await self.wait_inflight()

    async def _holds_lease(self) -> bool:
        """With `lease_owner`, only the holder of the 'outbox-sender' lease drains (scale-out safety)."""
        if self._lease_owner is None:
            return True
        now = self._clock.now()
        return await self._repos.state.try_lease("outbox-sender", self._lease_owner, now, self._lease_ttl_s)

    async def wait_inflight(self) -> None:
        if self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def drain_once(self, *, deadline: float | None = None) -> int:
        """Send one batch of due messages; returns how many were claimed. After `deadline`
        (time.monotonic()) no new send starts: the rest stay pending for the next round."""
        rows = await self._repos.outbox.claim_pending(self._clock.now(), limit=self._batch)
        by_chat: dict[int, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_chat[row.chat_id].append(row)
        gate = asyncio.Semaphore(self._concurrency)

        async def chat_worker(items: list[OutboxMessage]) -> None:
            async with gate:
                for msg in items:
                    if deadline is not None and time.monotonic() > deadline:
                        return
                    task = asyncio.create_task(self._deliver(msg))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
                    outcome = await asyncio.shield(task)
                    if outcome is Outcome.CHAT_GONE:
                        break

        try:
            async with asyncio.TaskGroup() as group:  # a failure cancels the other chats' workers
                for items in by_chat.values():
                    group.create_task(chat_worker(items))
        except ExceptionGroup as eg:
            raise eg.exceptions[0] from eg
        finally:
            await self.wait_inflight()  # every send that started gets marked before we return
        return len(rows)

    async def _deliver(self, msg: OutboxMessage) -> Outcome:
        assert msg.id is not None
        outbox, chats = self._repos.outbox, self._repos.chats
        chat_id = self._migrated.get(msg.chat_id, msg.chat_id)
        for _ in range(self._max_retry_after + 1):
            await self._wait_pause()
            try:
                sent = await self._send(chat_id, msg)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                logger.info("RetryAfter %.1fs for chat %s", wait, chat_id)
                self._pause_until = max(self._pause_until, time.monotonic() + wait + 0.1)
                continue
            except Forbidden as exc:
                logger.info("chat %s blocked the bot (%s): marking inactive", chat_id, exc.message)
                await chats.set_active(chat_id, False)
                await outbox.skip_chat(chat_id, f"forbidden: {exc.message}"[:200])
                return Outcome.CHAT_GONE
            except ChatMigrated as exc:
                logger.info("chat %s migrated to %s", chat_id, exc.new_chat_id)
                await chats.migrate_chat(chat_id, exc.new_chat_id)
                self._migrated[chat_id] = exc.new_chat_id
                chat_id = exc.new_chat_id
                continue
            except BadRequest as exc:
                logger.warning("outbox %s to chat %s rejected: %s", msg.id, chat_id, exc.message)
                await outbox.mark_failed(msg.id, f"bad request: {exc.message}"[:200])
                return Outcome.FAILED
            except (NetworkError, TelegramError) as exc:
                return await self._retry_later(msg, f"{type(exc).__name__}: {exc}")
            await outbox.mark_sent(msg.id, sent.message_id, self._clock.now())
            self.sent += 1
            return Outcome.SENT
        return await self._retry_later(msg, "repeated RetryAfter")

    async def _retry_later(self, msg: OutboxMessage, error: str) -> Outcome:
        assert msg.id is not None
        attempts = msg.attempts + 1
        if attempts >= self._max_attempts:
            logger.error("outbox %s to chat %s failed for good: %s", msg.id, msg.chat_id, error)
            await self._repos.outbox.mark_failed(msg.id, error[:200])
            return Outcome.FAILED
        delay = min(self._backoff_s * 2 ** (attempts - 1), 600.0)
        logger.warning("outbox %s to chat %s: %s; retry in %.0fs", msg.id, msg.chat_id, error, delay)
        await self._repos.outbox.mark_retry(msg.id, error[:200], self._clock.now() + timedelta(seconds=delay))
        return Outcome.RETRY

    async def _wait_pause(self) -> None:
        delay = self._pause_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _send(self, chat_id: int, msg: OutboxMessage) -> Message:
        markup = InlineKeyboardMarkup.de_json(dict(msg.reply_markup), self._bot) if msg.reply_markup else None
        if msg.photo is not None:
            return await self._bot.send_photo(
                chat_id,
                msg.photo,
                caption=fit(msg.text.split("\n"), MAX_CAPTION),
                parse_mode=ParseMode.HTML,
                disable_notification=msg.silent,
                reply_markup=markup,
                message_thread_id=msg.thread_id,
                rate_limit_args=self._rl_args,
            )
        return await self._bot.send_message(
            chat_id,
            msg.text,
            parse_mode=ParseMode.HTML,
            disable_notification=msg.silent,
            reply_markup=markup,
            message_thread_id=msg.thread_id,
            link_preview_options=NO_PREVIEW,
            rate_limit_args=self._rl_args,
        )
