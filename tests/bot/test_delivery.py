"""OutboxNotifier (fan-out into the outbox) and Sender (outbox -> fake Bot API over real PTB)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from telegram.ext import ExtBot

from bot.delivery import OutboxNotifier, Sender, quiet_until
from bot.ratelimit import ChatRateLimiter
from core.ports import Repositories
from core.types import (
    Chat,
    ChatKind,
    DeliveryStatus,
    Interval,
    Language,
    OutboxMessage,
    QuietMode,
    Rating,
    SignalEvent,
    SignalType,
    Watch,
)
from storage import Database
from tests.bot.fakes import INSTRUMENTS, NOW, FakeClock
from tests.fakes.fake_telegram import FakeTelegram

EVENT = SignalEvent(
    "FCO2.DE",
    SignalType.GOLDEN_CROSS,
    Interval.D1,
    NOW - timedelta(days=1),
    71.25,
    {"sma50": 69.1, "sma200": 68.9},
    0.3,
)


async def watchers(repos: Repositories, chats: list[Chat], watch: Watch | None = None) -> None:
    await repos.instruments.upsert_instruments([INSTRUMENTS["FCO2.DE"]])
    for chat in chats:
        await repos.chats.upsert_chat(chat)
        await repos.watches.upsert_watch(
            (watch and replace(watch, chat_id=chat.chat_id)) or Watch(chat.chat_id, "FCO2.DE")
        )


def rating() -> Rating:
    return Rating(
        "FCO2.DE",
        SignalType.GOLDEN_CROSS,
        20,
        11,
        0.64,
        0.021,
        0.018,
        0.004,
        0.017,
        2.1,
        -0.08,
        "B",
        datetime(2016, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    )


async def stored_event(repos: Repositories) -> SignalEvent:
    [event] = await repos.events.add_events([EVENT])
    return event


async def test_notifier_fans_out_once_per_watching_chat(sqlite_repos: Repositories, clock: FakeClock) -> None:
    repos = sqlite_repos
    await watchers(
        repos,
        [
            Chat(1, ChatKind.PRIVATE),
            Chat(2, ChatKind.PRIVATE, silent=True),
            Chat(3, ChatKind.PRIVATE, signals=frozenset({SignalType.RSI_OVERSOLD})),  # chat-level off
            Chat(6, ChatKind.PRIVATE, quiet_start=8, quiet_end=10),  # 09:00 KST: held until 10:00 KST
            Chat(7, ChatKind.PRIVATE, quiet_start=8, quiet_end=10, quiet_mode=QuietMode.DROP),
        ],
    )
    await repos.chats.upsert_chat(Chat(4, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(4, "FCO2.DE", muted=frozenset({SignalType.GOLDEN_CROSS})))
    await repos.chats.upsert_chat(Chat(5, ChatKind.PRIVATE, active=False))
    await repos.watches.upsert_watch(Watch(5, "FCO2.DE"))
    await repos.ratings.upsert_ratings([rating()])
    notifier = OutboxNotifier(repos, clock=clock)
    event = await stored_event(repos)

    assert await notifier.publish([event]) == 3
    assert await notifier.publish([event]) == 0  # the same event again: nothing new
    later = await repos.outbox.claim_pending(NOW + timedelta(days=1))
    by_chat = {m.chat_id: m for m in later}
    assert set(by_chat) == {1, 2, 6}
    msg = by_chat[1]
    assert msg.dedup_key == f"alert:{event.key}:1"
    assert msg.event_id == event.id
    assert "Golden cross" in msg.text
    assert "SparkChange" in msg.text
    assert "20-day hit rate 64% over 10y (n=11), grade B" in msg.text
    assert "Close 71.25 EUR · 2026-11-20 close 17:30 Frankfurt · 11-21 01:30 KST" in msg.text
    assert len(msg.text) <= 4096
    data = [b["callback_data"] for b in msg.reply_markup["inline_keyboard"][0]]  # type: ignore[index]
    assert data == ["m|FCO2.DE|golden_cross", "u|FCO2.DE"]
    assert by_chat[2].silent
    assert by_chat[6].not_before == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert by_chat[6].text == msg.text  # held, not rewritten: the bar's time is what it says
    assert {m.chat_id for m in await repos.outbox.claim_pending(NOW)} == {1, 2}


async def test_a_notifier_that_read_ahead_alerts_what_the_database_holds_at_the_close(
    db: Database, clock: FakeClock
) -> None:
    """Watchers, names and ratings held in memory between closes (issue 25): what another process
    writes in between (a new watcher, a renamed instrument, a new backtest) is in the next alert."""
    repos = db.repos
    await watchers(repos, [Chat(1, ChatKind.PRIVATE)])
    await repos.ratings.upsert_ratings([rating()])
    notifier = OutboxNotifier(repos, clock=clock)
    await notifier.read_ahead()
    bot = await Database.open(db.url.render_as_string(hide_password=False), migrate=False)
    try:  # the bot process: /watch from chat 2; the collector: a new name; the backtester: a new grade
        await bot.repos.chats.upsert_chat(Chat(2, ChatKind.PRIVATE, language=Language.KO))
        await bot.repos.watches.upsert_watch(Watch(2, "FCO2.DE"))
        await bot.repos.instruments.upsert_instruments(
            [replace(INSTRUMENTS["FCO2.DE"], name="SparkChange EUA")]
        )
        await bot.repos.ratings.upsert_ratings([replace(rating(), grade="A")])
    finally:
        await bot.close()
    event = await stored_event(repos)
    assert await notifier.publish([event]) == 2
    by_chat = {m.chat_id: m for m in await repos.outbox.claim_pending(NOW + timedelta(days=1))}
    assert set(by_chat) == {1, 2}
    assert "SparkChange EUA" in by_chat[1].text
    assert "grade A" in by_chat[1].text
    assert "등급 A" in by_chat[2].text
    await notifier.read_ahead()  # held again: the same alert, from memory, for a chat added now
    await repos.chats.upsert_chat(Chat(3, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(3, "FCO2.DE"))
    assert await notifier.publish([event]) == 1
    [third] = [m for m in await repos.outbox.claim_pending(NOW + timedelta(days=1)) if m.chat_id == 3]
    assert third.text == by_chat[1].text


def test_quiet_hours_wrap_around_midnight() -> None:
    chat = Chat(1, ChatKind.PRIVATE, quiet_start=22, quiet_end=7)
    at_23_kst = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    assert quiet_until(chat, at_23_kst) == datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # 07:00 KST next day
    assert quiet_until(chat, datetime(2026, 11, 21, 3, 0, tzinfo=UTC)) is None  # 12:00 KST


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(overall_per_s=200, per_chat_interval_s=0.2, tolerance_s=0.02) as server:
        yield server


async def make_bot(tg: FakeTelegram, *, per_s: float = 190, per_chat: float = 0.25) -> ExtBot[int]:
    limiter = ChatRateLimiter(overall_per_s=per_s, per_chat_interval_s=per_chat, group_per_min=1000)
    bot: ExtBot[int] = ExtBot(tg.token, base_url=tg.base_url, rate_limiter=limiter)
    await bot.initialize()
    return bot


async def enqueue(repos: Repositories, chat_ids: list[int], text: str = "hello <b>x</b>") -> None:
    for cid in chat_ids:
        await repos.chats.upsert_chat(Chat(cid, ChatKind.PRIVATE if cid > 0 else ChatKind.GROUP))
    await repos.outbox.enqueue([OutboxMessage(cid, f"t:{cid}", text, kind="broadcast") for cid in chat_ids])


async def test_sender_delivers_and_marks_sent(tg: FakeTelegram, sqlite_repos: Repositories) -> None:
    await enqueue(sqlite_repos, [11, 12])
    bot = await make_bot(tg)
    sender = Sender(bot, sqlite_repos)
    assert await sender.drain_once() == 2
    assert sorted(s.chat_id for s in tg.sent) == [11, 12]
    assert tg.sent[0].params["parse_mode"] == "HTML"
    assert await sqlite_repos.outbox.count_pending() == 0
    assert await sender.drain_once() == 0
    await bot.shutdown()


async def test_sender_handles_forbidden_migration_429_and_network_errors(
    tg: FakeTelegram, sqlite_repos: Repositories
) -> None:
    repos = sqlite_repos
    await enqueue(repos, [21, 22, -23, 24])
    await repos.outbox.enqueue([OutboxMessage(21, "second:21", "second", kind="broadcast")])
    await repos.outbox.enqueue([OutboxMessage(-23, "second:-23", "second", kind="broadcast")])
    tg.blocked.add(21)
    tg.inject("migrate", chat_id=-23, new_chat_id=-1000023)
    tg.inject("429", chat_id=22, retry_after=1)
    tg.inject("drop", chat_id=24)
    clock = FakeClock(datetime.now(UTC))
    bot = await make_bot(tg)
    sender = Sender(bot, repos, clock=clock, backoff_s=2.0)
    await sender.drain_once()

    chat21 = await repos.chats.get_chat(21)
    assert chat21 is not None
    assert not chat21.active
    assert len(tg.calls("sendMessage")) >= 5
    assert sorted(s.chat_id for s in tg.sent) == [-1000023, -1000023]  # 22 waits out its 429
    assert len([r for r in tg.calls("sendMessage") if r.params["chat_id"] == "-23"]) == 1  # migrated once
    assert sum(1 for r in tg.calls("sendMessage") if r.status == 429) == 1
    migrated = await repos.chats.get_chat(-1000023)
    assert migrated is not None
    assert migrated.active
    assert tg.sent_to(24) == []  # the dropped connection: retried later, not lost
    assert await repos.outbox.claim_pending(clock.now()) == []
    clock.current += timedelta(seconds=3)
    await asyncio.sleep(1.2)  # the in-memory flood wait of chat 22 (retry_after 1)
    assert await sender.drain_once() == 2
    assert len(tg.sent_to(24)) == 1
    assert len(tg.sent_to(22)) == 1
    assert await repos.outbox.count_pending() == 0
    assert tg.violations == []
    await bot.shutdown()


class RefusesMarks:
    """Outbox repo whose mark_sent_many fails `times` times: the database refuses the write after
    Telegram accepted a message (read-only file, full disk)."""

    def __init__(self, inner: object, times: int = 1) -> None:
        self._inner = inner
        self.times = times

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def mark_sent_many(self, sent: list[tuple[int, int | None]], now: datetime) -> None:
        if self.times > 0:
            self.times -= 1
            raise ConnectionError("database gone")
        await self._inner.mark_sent_many(sent, now)  # type: ignore[attr-defined]


@pytest.mark.parametrize("after_crash", ["resend", "skip"])
async def test_a_mark_the_database_refuses_is_kept_and_no_round_resends_it(
    tg: FakeTelegram, sqlite_repos: Repositories, after_crash: str
) -> None:
    """Accepted by Telegram, not yet marked: the row stays in flight (no other round or sender
    takes it) and the mark, with Telegram's message id, is retried until the database takes it."""
    await enqueue(sqlite_repos, [31, 32, 33])
    refusing = replace(sqlite_repos, outbox=RefusesMarks(sqlite_repos.outbox, times=2))  # type: ignore[arg-type]
    bot = await make_bot(tg)
    sender = Sender(bot, refusing, concurrency=1, after_crash=after_crash)
    assert await sender.drain_once() == 3  # the first is sent, its mark refused: nothing more starts
    assert sender.pending_writes == 1
    assert sender.fault.fault is not None
    assert [s.chat_id for s in tg.sent] == [31]
    assert await sqlite_repos.outbox.count_pending() == 3
    assert await sqlite_repos.outbox.count_in_flight() == (1 if after_crash == "skip" else 0)
    assert await Sender(bot, sqlite_repos).drain_once() == 2  # the row in flight is not handed out
    assert await sender.drain_once() == 0  # the database still refuses: nothing new starts
    assert await sender.drain_once() == 0  # it takes the mark now
    assert sender.pending_writes == 0
    assert await sqlite_repos.outbox.count_pending() == 0
    assert sorted(len(tg.sent_to(c)) for c in (31, 32, 33)) == [1, 1, 1]
    await bot.shutdown()


def test_outbox_status_names_are_the_storage_ones() -> None:
    assert DeliveryStatus.SKIPPED.value == "skipped"


async def test_a_429_for_one_chat_delays_that_chat_only(tg: FakeTelegram, sqlite_repos: Repositories) -> None:
    await enqueue(sqlite_repos, [41, 42, 43])
    tg.inject("429", chat_id=41, retry_after=1)
    bot = await make_bot(tg)
    sender = Sender(bot, sqlite_repos, concurrency=1)
    await sender.drain_once()
    refused = next(r for r in tg.requests if r.status == 429)
    assert sorted(s.chat_id for s in tg.sent) == [42, 43]
    assert all(s.at - refused.at < 0.5 for s in tg.sent)  # the others did not wait
    await asyncio.sleep(1.2)
    await sender.drain_once()
    [again] = tg.sent_to(41)
    assert again.at - refused.at >= 1.0
    await bot.shutdown()


async def test_a_global_flood_pauses_every_chat(tg: FakeTelegram, sqlite_repos: Repositories) -> None:
    await enqueue(sqlite_repos, list(range(61, 71)))
    tg.inject("429", retry_after=1, count=4)  # four chats in a row refused: the bot-wide limit
    bot = await make_bot(tg)
    sender = Sender(bot, sqlite_repos, concurrency=1)
    await sender.drain_once()
    last_refused = max(r.at for r in tg.requests if r.status == 429)
    assert sender.flood.global_pauses == 1
    assert len(tg.sent) == 6
    assert all(s.at - last_refused >= 1.0 for s in tg.sent)  # nothing went out during the pause
    await bot.shutdown()


async def test_group_limit_is_respected(sqlite_repos: Repositories) -> None:
    """20 per window per group (the window scaled from 60 s to 1.5 s), other chats unaffected."""
    async with FakeTelegram(per_chat_interval_s=0.02, tolerance_s=0.01, group_window_s=1.5) as server:
        await enqueue(sqlite_repos, [-500] * 1 + [51, 52])
        await sqlite_repos.outbox.enqueue(
            [OutboxMessage(-500, f"g:{i}", f"g{i}", kind="broadcast") for i in range(29)]
        )
        limiter = ChatRateLimiter(
            overall_per_s=100, per_chat_interval_s=0.03, group_per_min=20, group_period_s=1.5
        )
        bot: ExtBot[int] = ExtBot(server.token, base_url=server.base_url, rate_limiter=limiter)
        await bot.initialize()
        sender = Sender(bot, sqlite_repos)
        while await sqlite_repos.outbox.count_pending():
            await sender.drain_once()
        await bot.shutdown()
    group = [s.at for s in server.sent_to(-500)]
    assert len(group) == 30
    assert group[20] - group[0] >= 1.5
    assert server.violations == []
    assert len(server.sent_to(51)) == 1
