"""The outbox out to Telegram: `Sender`. Its guarantees (bot/README.md says the same for users):

- Each round claims due rows for this sender (`claimed_by` = instance id + a token of this run,
  `claimed_at`): in flight, so no other round or sender takes them until they are marked, or their
  sender is found gone. With `after_crash="skip"` each row's send is also recorded as started
  (`sending_at`, grouped writes) before it goes to Telegram, so that a crash skips only rows that
  may really have been sent; with "resend" that write is not needed (every claimed row of a dead
  sender is claimed again) and not made.
- Telegram's answer becomes a database write (sent with its message id, retry, failed). If the
  database refuses it (read-only file, full disk, lost server), the write is kept in memory and
  retried before anything new is claimed (`bot.inflight.PendingWrites`). Within one process a
  database fault therefore loses nothing and sends nothing twice; sending pauses while the fault
  lasts (a send whose start cannot be recorded is not made) and resumes by itself.
- After a crash (`kill -9`), the rows whose send was under way (at most `concurrency`) are the only
  uncertain ones: Telegram may or may not have shown them. `after_crash="resend"` (the default,
  at-least-once) claims every row of the dead sender again, so those few may arrive twice; `"skip"`
  (at-most-once) marks the rows whose start was recorded SKIPPED and claims the rest again.
  A restart with the same instance id recovers its own rows at once; rows of another instance are
  recovered once older than the lease TTL (that sender is gone: it stops starting sends well
  before its lease ends).
- Flood control (`bot.flood`): a 429 defers the rows of that chat only; a global flood pauses all.
- Premium first: the outbox hands out premium chats' rows before others, and a round stops starting
  sends after `round_s` (its unstarted rows go back), so a premium alert that arrives behind a
  backlog of free ones waits at most one round. With `paid_broadcast`, premium rows are sent with
  `allow_paid_broadcast` (Telegram: up to 1,000 messages/s, billed in Stars); others never are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict
from datetime import timedelta
from enum import Enum
from functools import partial
from typing import Any

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.flood import FloodControl
from bot.inflight import GroupWriter, PendingWrites
from bot.ratelimit import NO_RETRY, retry_seconds
from bot.views import MAX_CAPTION, fit
from core.ports import Repositories
from core.settings import Settings
from core.storage_faults import FaultState
from core.timeutil import Clock, SystemClock
from core.types import OutboxMessage

logger = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
LEASE = "outbox-sender"
HANDOVER_S = 1.0  # Telegram counts messages per second: a new holder waits that long before sending
AFTER_CRASH = ("resend", "skip")


def paid_sender_options(settings: Settings) -> dict[str, Any]:
    """Sender options for the operator's paid-broadcast setting: at up to 1,000 sends/s, 16 sends in
    flight would cap the rate at 16 per round trip (~160/s at Telegram's ~100 ms), and a 200-row round
    would last 0.2 s; both grow with the rate (0.1 s of sends in flight, a second's worth per claim).
    `bot.app` then gives the sender its own bot over aiohttp with that many connections
    (`bot.fastrequest`: httpx scans its whole pool for every request and topped out at 170-750/s)."""
    if not settings.paid_broadcast:
        return {}
    rate = settings.paid_rate_per_second
    return {"paid_broadcast": True, "concurrency": max(16, int(rate / 10)), "batch": max(200, int(rate))}


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    CHAT_GONE = "chat_gone"
    DEFERRED = "deferred"  # flood wait for this chat: the rest of its rows wait too


class Sender:
    """Drains the outbox within Telegram's limits (the bot's `ChatRateLimiter` paces every send).

    With `lease_owner` (a stable instance id: settings or the data directory, never the pid), only
    the holder of the 'outbox-sender' lease drains; a restart under the same id takes it over at
    once, another instance when the holder stops renewing it (`lease_ttl_s`). Released on stop."""

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
        after_crash: str = "resend",
        paid_broadcast: bool = False,
        round_s: float = 2.0,
    ) -> None:
        if after_crash not in AFTER_CRASH:
            raise ValueError(f"after_crash must be one of {AFTER_CRASH}, not {after_crash!r}")
        self._bot = bot
        self._repos = repos
        self._clock = clock or SystemClock()
        self._batch = batch
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._max_retry_after = max_retry_after
        self._idle_s = idle_s
        self._backoff_s = backoff_s
        self._migrated: dict[int, int] = {}  # rows claimed before a migration still carry the old id
        self._lease_owner = lease_owner
        self._lease_ttl_s = lease_ttl_s
        self._holding = False  # held the sender lease at the last check
        self._resend = after_crash == "resend"
        self._paid = paid_broadcast
        self._round_s = round_s
        self.owner = f"{lease_owner or 'sender'}#{secrets.token_hex(4)}"  # this run's claims
        self._rl_args = NO_RETRY if bot.rate_limiter is not None else None
        self._inflight: set[asyncio.Task[Outcome]] = set()
        self.fault = FaultState("outbox sender")
        self._writes = PendingWrites(self.fault)
        self._starts = GroupWriter[int](lambda ids: repos.outbox.mark_sending(ids, self._clock.now()))
        self._sents = GroupWriter[tuple[int, int | None]](
            lambda rows: repos.outbox.mark_sent_many(rows, self._clock.now())
        )
        self.flood = FloodControl()
        self._recovered_own = False
        self._next_recovery = 0.0
        self.sent = 0

    @property
    def bot(self) -> ExtBot[int]:
        """The bot it sends with (with paid broadcast on, its own: `bot.fastrequest.sender_bot`)."""
        return self._bot

    # ------------------------------------------------------------------ the loop
    async def run(self, stop: asyncio.Event) -> None:
        """Drain until `stop` is set; then finish what is in flight and release the lease."""
        try:
            while not stop.is_set():
                claimed = 0
                try:
                    if await self._writes.flush() and await self._holds_lease():
                        await self._recover()
                        # stop starting sends well before the lease could expire under us
                        # a round ends after round_s (premium rows that came meanwhile go next) and
                        # well before the lease could expire under us
                        span = min(self._round_s, self._lease_ttl_s / 2)
                        claimed = await self.drain_once(deadline=time.monotonic() + span)
                        if not self._writes:
                            self.fault.ok()
                except Exception as exc:
                    self.fault.failed(exc)
                    claimed = 0
                if claimed == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self._idle_s)
        finally:
            await self.wait_inflight()
            await self.close()

    async def close(self) -> None:
        """Last try at the kept writes, then give the lease up (a clean stop: no one waits for it)."""
        with contextlib.suppress(Exception):
            await self._writes.flush()
        if self._lease_owner is not None and not self._writes:
            try:
                await self._repos.state.release_lease(LEASE, self._lease_owner)
            except Exception as exc:
                logger.warning("could not release the %s lease: %s", LEASE, exc)

    async def _holds_lease(self) -> bool:
        if self._lease_owner is None:
            return True
        now = self._clock.now()
        held = await self._repos.state.try_lease(LEASE, self._lease_owner, now, self._lease_ttl_s)
        if held and not self._holding:
            # Taking over (or starting after a restart): the sender before us may have used Telegram's
            # one-second window just now, and our rate window knows nothing of it. Let it pass first.
            await asyncio.sleep(HANDOVER_S)
        self._holding = held
        return held

    async def _recover(self) -> None:
        """Rows left claimed by senders that are gone: ours from before a restart at once, others'
        once older than the lease TTL."""
        outbox = self._repos.outbox
        if not self._recovered_own:
            if self._lease_owner is not None:
                n = await outbox.recover_claims(
                    keep=self.owner, owner_prefix=f"{self._lease_owner}#", resend=self._resend
                )
                if n:
                    logger.warning(
                        "%d outbox rows were in flight when this instance stopped: %s",
                        n,
                        "sending them again (at-least-once)" if self._resend else "skipped (at-most-once)",
                    )
            self._recovered_own = True
        if time.monotonic() >= self._next_recovery:
            self._next_recovery = time.monotonic() + self._lease_ttl_s / 4
            before = self._clock.now() - timedelta(seconds=self._lease_ttl_s)
            n = await outbox.recover_claims(keep=self.owner, claimed_before=before, resend=self._resend)
            if n:
                logger.warning("%d outbox rows left in flight by a sender that is gone recovered", n)

    async def wait_inflight(self) -> None:
        if self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    @property
    def pending_writes(self) -> int:
        """Outcomes Telegram gave that the database has not taken yet."""
        return len(self._writes)

    # ------------------------------------------------------------------ one round
    async def drain_once(self, *, deadline: float | None = None) -> int:
        """Claim and send one batch of due messages; returns how many were claimed. After `deadline`
        (time.monotonic()) no new send starts: the rest are released for the next round."""
        if not await self._writes.flush():
            return 0
        outbox = self._repos.outbox
        rows = await outbox.claim_pending(self._clock.now(), limit=self._batch, owner=self.owner)
        by_chat: dict[int, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            by_chat[row.chat_id].append(row)
        gate = asyncio.Semaphore(self._concurrency)
        unstarted = {row.id for row in rows if row.id is not None}
        halted = asyncio.Event()  # the database refused to record a start: start nothing more

        def stopping() -> bool:
            return halted.is_set() or (deadline is not None and time.monotonic() > deadline)

        async def chat_worker(items: list[OutboxMessage]) -> None:
            for i, msg in enumerate(items):
                assert msg.id is not None
                if stopping():
                    return
                if self.flood.chat_delay(msg.chat_id) > 0:
                    await self._defer(items[i:], unstarted)
                    return
                async with gate:
                    await self.flood.wait_global()
                    if stopping():
                        return
                    if not self._resend:  # at-most-once needs the start on record before the send
                        try:
                            await self._starts.add(msg.id)
                        except Exception as exc:
                            self.fault.failed(exc)
                            halted.set()
                            return
                    unstarted.discard(msg.id)
                    task = asyncio.create_task(self._deliver(msg))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
                    outcome = await asyncio.shield(task)
                if self._writes:  # the database refused an outcome: start nothing more this round
                    halted.set()
                if outcome is Outcome.CHAT_GONE:
                    return
                if outcome is Outcome.DEFERRED:
                    await self._defer(items[i + 1 :], unstarted)
                    return

        try:
            async with asyncio.TaskGroup() as group:  # a failure cancels the other chats' workers
                for items in by_chat.values():
                    group.create_task(chat_worker(items))
        except ExceptionGroup as eg:
            raise eg.exceptions[0] from eg
        finally:
            await self.wait_inflight()  # every send that started gets its outcome before we return
            if unstarted:
                ids = sorted(unstarted)
                await self._writes.run(("release", ids[0]), partial(outbox.release, ids))
        return len(rows)

    async def _defer(self, items: list[OutboxMessage], unstarted: set[int]) -> None:
        """This chat is in a flood wait: its remaining rows wait in the database, not in this round."""
        if not items:
            return
        delay = self.flood.chat_delay(items[0].chat_id)
        until = self._clock.now() + timedelta(seconds=delay)
        for msg in items:
            assert msg.id is not None
            unstarted.discard(msg.id)
            write = partial(self._repos.outbox.mark_retry, msg.id, "flood wait", until, count=False)
            await self._writes.run(msg.id, write)

    # ------------------------------------------------------------------ one message
    async def _deliver(self, msg: OutboxMessage) -> Outcome:
        assert msg.id is not None
        outbox, chats = self._repos.outbox, self._repos.chats
        chat_id = self._migrated.get(msg.chat_id, msg.chat_id)
        for _ in range(3):  # a migrated chat is tried again at its new id
            try:
                sent = await self._send(chat_id, msg)
            except RetryAfter as exc:
                return await self._flood_wait(msg, chat_id, retry_seconds(exc))
            except Forbidden as exc:
                logger.info("chat %s blocked the bot (%s): marking inactive", chat_id, exc.message)
                await self._writes.run(msg.id, partial(self._chat_gone, chat_id, exc.message))
                return Outcome.CHAT_GONE
            except ChatMigrated as exc:
                logger.info("chat %s migrated to %s", chat_id, exc.new_chat_id)
                await chats.migrate_chat(chat_id, exc.new_chat_id)
                self._migrated[chat_id] = exc.new_chat_id
                chat_id = exc.new_chat_id
                continue
            except BadRequest as exc:
                logger.warning("outbox %s to chat %s rejected: %s", msg.id, chat_id, exc.message)
                error = f"bad request: {exc.message}"[:200]
                await self._writes.run(msg.id, partial(outbox.mark_failed, msg.id, error))
                return Outcome.FAILED
            except (NetworkError, TelegramError) as exc:
                return await self._retry_later(msg, f"{type(exc).__name__}: {exc}")
            self.flood.accepted()
            self.sent += 1
            # Telegram took it: its message id is kept (in the write) until the database takes it
            await self._writes.run(msg.id, partial(self._sents.add, (msg.id, sent.message_id)))
            return Outcome.SENT
        return await self._retry_later(msg, "chat migrated repeatedly")

    async def _chat_gone(self, chat_id: int, reason: str) -> None:
        await self._repos.chats.set_active(chat_id, False)
        await self._repos.outbox.skip_chat(chat_id, f"forbidden: {reason}"[:200])

    async def _flood_wait(self, msg: OutboxMessage, chat_id: int, wait: float) -> Outcome:
        assert msg.id is not None
        if self.flood.refused(msg.chat_id, wait):
            logger.warning("RetryAfter %.1fs on several chats in a row: pausing every chat", wait)
        else:
            logger.info("RetryAfter %.1fs for chat %s: that chat waits", wait, chat_id)
        until = self._clock.now() + timedelta(seconds=wait + 0.1)
        write = partial(self._repos.outbox.mark_retry, msg.id, f"RetryAfter {wait:g}s", until, count=False)
        await self._writes.run(msg.id, write)
        return Outcome.DEFERRED

    async def _retry_later(self, msg: OutboxMessage, error: str) -> Outcome:
        assert msg.id is not None
        outbox = self._repos.outbox
        attempts = msg.attempts + 1
        if attempts >= self._max_attempts:
            logger.error("outbox %s to chat %s failed for good: %s", msg.id, msg.chat_id, error)
            await self._writes.run(msg.id, partial(outbox.mark_failed, msg.id, error[:200]))
            return Outcome.FAILED
        delay = min(self._backoff_s * 2 ** (attempts - 1), 600.0)
        logger.warning("outbox %s to chat %s: %s; retry in %.0fs", msg.id, msg.chat_id, error, delay)
        until = self._clock.now() + timedelta(seconds=delay)
        await self._writes.run(msg.id, partial(outbox.mark_retry, msg.id, error[:200], until))
        return Outcome.RETRY

    async def _send(self, chat_id: int, msg: OutboxMessage) -> Message:
        markup = InlineKeyboardMarkup.de_json(dict(msg.reply_markup), self._bot) if msg.reply_markup else None
        paid = True if self._paid and msg.premium else None  # None: the parameter is not sent at all
        if msg.photo is not None:
            return await self._bot.send_photo(
                chat_id,
                msg.photo,
                caption=fit(msg.text.split("\n"), MAX_CAPTION),
                parse_mode=ParseMode.HTML,
                disable_notification=msg.silent,
                reply_markup=markup,
                message_thread_id=msg.thread_id,
                allow_paid_broadcast=paid,
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
            allow_paid_broadcast=paid,
            rate_limit_args=self._rl_args,
        )
