"""The bot's delivery consuming the collector's signal events (issue 20): into the outbox once per
(event, watching chat) across a bot restart, a redis-server killed and restarted mid-stream, and events
published twice; a database outage holds the events (unacknowledged) until it ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.settings import load_settings
from core.types import Chat, ChatKind, Interval, Market, SignalEvent, SignalType, Watch
from finsignal.container import open_app
from market.bus import signal_message
from market.redis_bus import RedisEventBus
from market.redis_conn import connect
from market.resolver import make_instrument
from storage import Database
from tests.fakes.redis_server import RedisTestServer
from tests.fakes.storage_faults import StorageFaults
from tests.scaleout.test_redis_bus import until

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def event(n: int) -> SignalEvent:
    return SignalEvent(
        "AAPL",
        SignalType.VOLUME_SPIKE,
        Interval.D1,
        T0 + timedelta(days=n),
        100.0 + n,
        {"vol_avg20": 1e6},
        3.0,
    )


async def seed(db: Database) -> None:
    await db.repos.instruments.upsert_instruments([make_instrument("AAPL", Market.US, "Apple")])
    for chat in (1, 2):
        await db.repos.chats.upsert_chat(Chat(chat, ChatKind.PRIVATE))
        await db.repos.watches.upsert_watch(Watch(chat, "AAPL"))


async def test_signal_events_reach_the_outbox_once_across_restarts_of_the_bot_and_of_redis(
    redis_server: RedisTestServer, sqlite_db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    await seed(sqlite_db)
    settings = load_settings(
        database_url=sqlite_url, redis_url=redis_server.url, role="bot", data_dir=tmp_path / "var"
    )
    outbox = sqlite_db.repos.outbox
    collector = RedisEventBus(connect(redis_server.url), consumer="collector", block_ms=100)
    await collector.start()
    try:
        async with open_app(settings) as bot:
            assert isinstance(bot.bus, RedisEventBus)
            for n in range(20):
                collector.publish("signal:AAPL", signal_message(event(n)))
            await until(lambda: collector.stats()["buffered"] == 0)
            await _wait_rows(sqlite_db, 40)
        for n in range(20, 30):  # the bot is down: its group keeps its place
            collector.publish("signal:AAPL", signal_message(event(n)))
        async with open_app(settings) as bot:
            await _wait_rows(sqlite_db, 60)
            redis_server.kill()  # SIGKILL mid-stream
            for n in range(30, 45):  # the collector buffers while Redis is down
                collector.publish("signal:AAPL", signal_message(event(n)))
            await until(lambda: not collector.connected)
            await asyncio.to_thread(redis_server.start)  # the same port and append-only file
            for n in [*range(45, 50), *range(40, 50)]:  # and 40-49 published twice (a re-hand)
                collector.publish("signal:AAPL", signal_message(event(n)))
            await _wait_rows(sqlite_db, 100, timeout_s=40)
            await asyncio.sleep(0.5)  # a duplicate would arrive by now
        assert await outbox.count_pending() == 100  # 50 events x 2 chats: none lost, none twice
    finally:
        await collector.close()


async def test_a_database_outage_holds_events_until_it_ends(
    redis_server: RedisTestServer, sqlite_db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    await seed(sqlite_db)
    settings = load_settings(
        database_url=sqlite_url, redis_url=redis_server.url, role="bot", data_dir=tmp_path / "var"
    )
    collector = RedisEventBus(connect(redis_server.url), consumer="collector", block_ms=100)
    await collector.start()
    try:
        async with open_app(settings):
            with StorageFaults() as faults:  # every engine of this process
                faults.set("read_only")  # the bot's database refuses writes
                for n in range(5):
                    collector.publish("signal:AAPL", signal_message(event(n)))
                await until(lambda: faults.refused > 0)
                await asyncio.sleep(0.5)
                faults.clear()
                await _wait_rows(sqlite_db, 10)  # held unacknowledged, then enqueued: nothing lost
                await asyncio.sleep(0.3)
                assert await sqlite_db.repos.outbox.count_pending() == 10
    finally:
        await collector.close()


async def _wait_rows(db: Database, count: int, timeout_s: float = 20.0) -> None:
    async with asyncio.timeout(timeout_s):
        while await db.repos.outbox.count_pending() < count:  # noqa: ASYNC110 (another connection)
            await asyncio.sleep(0.05)
