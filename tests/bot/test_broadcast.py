"""Broadcast of one alert to 1,000 subscribers through the real PTB stack and the fake Bot API server,
with injected 429/403/dropped connections, and a sender killed mid-broadcast then restarted.

The fake server enforces the per-chat (1/s) and per-group (20/min) limits as Telegram does; the overall
limit is scaled from 30/s to 300/s (and the bot's limiter with it) so the test takes seconds, not a
minute. `bench/bot.py` measures delivery against the real 30/s.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram.ext import ExtBot

from bot.delivery import OutboxNotifier, Sender
from bot.ratelimit import ChatRateLimiter
from core.ports import Repositories
from core.types import Chat, ChatKind, Interval, OutboxMessage, SignalEvent, SignalType, Watch
from storage import Database
from tests.bot.fakes import INSTRUMENTS
from tests.fakes.fake_telegram import FakeTelegram, Sent

OVERALL = 300
pytestmark = pytest.mark.slow
N = 1000
IDS = list(range(10_001, 10_001 + N))


@pytest.fixture(scope="module")
def subscribed_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with N private chats watching KAU25, built once for the module."""
    path = tmp_path_factory.mktemp("subscribers") / "subscribers.db"
    shutil.copyfile(sqlite_template, path)

    async def build() -> None:
        db = await Database.open(f"sqlite+aiosqlite:///{path}", migrate=False)
        repos = db.repos
        await repos.instruments.upsert_instruments([INSTRUMENTS["KAU25"]])
        for i in IDS:
            await repos.chats.upsert_chat(Chat(i, ChatKind.PRIVATE))
            await repos.watches.upsert_watch(Watch(i, "KAU25"))
        await db.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, build()).result()
    return path


@pytest.fixture
async def repos(subscribed_template: Path, tmp_path: Path) -> AsyncIterator[Repositories]:
    path = tmp_path / "db.db"
    shutil.copyfile(subscribed_template, path)
    db = await Database.open(f"sqlite+aiosqlite:///{path}", migrate=False)
    yield db.repos
    await db.close()


async def publish(repos: Repositories) -> int:
    event = SignalEvent(
        "KAU25",
        SignalType.RSI_OVERSOLD,
        Interval.D1,
        datetime(2026, 11, 20, tzinfo=UTC),
        9150,
        {"rsi14": 27.5},
        27.5,
    )
    stored = await repos.events.add_events([event])
    return await OutboxNotifier(repos).publish(stored)


async def new_bot(tg: FakeTelegram) -> ExtBot[int]:
    limiter = ChatRateLimiter(overall_per_s=OVERALL * 0.95, per_chat_interval_s=1.0)
    bot: ExtBot[int] = ExtBot(tg.token, base_url=tg.base_url, rate_limiter=limiter)
    await bot.initialize()
    return bot


async def drain(sender: Sender, repos: Repositories, within: float = 60) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    deadline = asyncio.get_running_loop().time() + within
    while await repos.outbox.count_pending() > 0:
        assert asyncio.get_running_loop().time() < deadline, "outbox not drained in time"
        await asyncio.sleep(0.1)
    stop.set()
    await task


async def test_broadcast_to_1000_with_faults_reaches_everyone_once(repos: Repositories) -> None:
    ids = IDS
    assert await publish(repos) == N
    async with FakeTelegram(overall_per_s=OVERALL) as tg:
        blocked = set(ids[::40])  # 25 chats that blocked the bot long ago
        tg.blocked |= blocked
        blocking_now = {ids[7], ids[501]}  # one 403 each, as if they blocked it during the broadcast
        for cid in blocking_now:
            tg.inject("403", chat_id=cid)
        tg.inject("429", count=3, retry_after=1)
        for cid in ids[2:7]:
            tg.inject("drop", chat_id=cid)
        bot = await new_bot(tg)
        await drain(Sender(bot, repos, idle_s=0.05, backoff_s=0.2), repos)
        await bot.shutdown()

    gone = blocked | blocking_now
    counts = {cid: len(tg.sent_to(cid)) for cid in ids}
    assert all(counts[cid] == 1 for cid in ids if cid not in gone)
    assert all(counts[cid] == 0 for cid in gone)
    for cid in gone:
        chat = await repos.chats.get_chat(cid)
        assert chat is not None
        assert not chat.active
    assert tg.violations == []  # no request went over a limit
    assert tg.count_429() == 3  # only the injected ones
    assert sum(1 for r in tg.requests if r.status == 0) == 5  # the dropped connections were retried


async def test_sender_killed_mid_broadcast_resumes_exactly_once(repos: Repositories) -> None:
    ids = IDS
    assert await publish(repos) == N
    async with FakeTelegram(overall_per_s=OVERALL) as tg:
        bot = await new_bot(tg)
        task = asyncio.create_task(Sender(bot, repos, idle_s=0.05).run(asyncio.Event()))
        await tg.wait_for(lambda: len(tg.sent) >= 300)
        task.cancel()  # killed in the middle of the broadcast
        await asyncio.gather(task, return_exceptions=True)
        await bot.shutdown()
        sent_before = len(tg.sent)
        assert 300 <= sent_before < N
        assert await repos.outbox.count_pending() == N - sent_before  # every accepted send was marked

        # a restarted process's limiter starts empty: a real restart takes longer than the server's
        # 1 s window (within it, up to 4 refusals in a row before the sender pauses every chat)
        await asyncio.sleep(1.0)
        bot = await new_bot(tg)  # the restart
        await drain(Sender(bot, repos, idle_s=0.05), repos)
        await bot.shutdown()

    assert sorted(s.chat_id for s in tg.sent) == ids  # each subscriber exactly once
    assert tg.violations == []


async def test_two_senders_with_a_lease_never_double_send(repos: Repositories) -> None:
    """Scale-out: two bot processes on one database; the lease lets only one drain at a time."""
    await publish(repos)
    async with FakeTelegram(overall_per_s=OVERALL) as tg:
        bot_a, bot_b = await new_bot(tg), await new_bot(tg)
        stop = asyncio.Event()
        # 6 s: renewed every 2 s, the lease outlives the stalls of a loaded 2-core machine (at 2 s, "a"
        # lost it to "b" while still alive: a legitimate handover, but not what this test is about)
        first = Sender(bot_a, repos, idle_s=0.05, lease_owner="a", lease_ttl_s=6)
        second = Sender(bot_b, repos, idle_s=0.05, lease_owner="b", lease_ttl_s=6)
        a = asyncio.create_task(first.run(stop))
        await tg.wait_for(lambda: len(tg.sent) >= 10)
        b = asyncio.create_task(second.run(stop))
        await tg.wait_for(lambda: len(tg.sent) >= 300, within=30)
        assert second.sent == 0  # "a" holds the lease
        a.cancel()  # the holder dies; "b" takes over once the lease expires
        await asyncio.gather(a, return_exceptions=True)
        await tg.wait_for(lambda: len(tg.sent) >= N, within=60)
        stop.set()
        await b
        await bot_a.shutdown()
        await bot_b.shutdown()
    assert first.sent + second.sent == N
    assert second.sent > 0
    assert sorted(s.chat_id for s in tg.sent) == IDS
    assert tg.violations == []


@pytest.mark.parametrize(("fault", "after_crash"), [("read_only", "resend"), ("disk_full", "skip")])
async def test_database_refusing_writes_mid_broadcast_loses_and_repeats_nothing(
    db: Database, fault: str, after_crash: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The database turns read-only (or full) after 40 of 200 sends and comes back 1.5 s later:
    every chat gets its message exactly once, the fault is logged once, delivery resumes by itself."""
    from tests.fakes.storage_faults import StorageFaults

    repos = db.repos
    ids = IDS[:200]
    await repos.outbox.enqueue([OutboxMessage(c, f"b:{c}", f"hello {c}", kind="broadcast") for c in ids])
    faults = StorageFaults(db)
    loop = asyncio.get_running_loop()

    def on_sent(sent: Sent) -> None:
        if len(tg.sent) == 40:
            faults.set(fault)
            loop.call_later(1.5, faults.clear)

    async with FakeTelegram(overall_per_s=OVERALL, on_sent=on_sent) as tg:
        bot = await new_bot(tg)
        sender = Sender(
            bot,
            repos,
            idle_s=0.05,
            backoff_s=0.2,
            lease_owner="solo",
            lease_ttl_s=30,
            after_crash=after_crash,
        )
        with caplog.at_level(logging.WARNING, logger="core.storage_faults"):
            await drain(sender, repos)
        await bot.shutdown()
    assert faults.refused > 0
    counts = {cid: len(tg.sent_to(cid)) for cid in ids}
    assert sorted(set(counts.values())) == [1], {c: n for c, n in counts.items() if n != 1}
    assert await repos.outbox.count_in_flight() == 0
    assert sender.fault.fault is None
    logged = [r.getMessage() for r in caplog.records if r.name == "core.storage_faults"]
    assert len(logged) == 2, logged  # once when it started, once when it cleared
    assert fault in logged[0]
