"""RedisEventBus against a real redis-server: fan-out between bus instances and processes, consumer
restart, redis-server killed and restarted mid-stream, the bounded buffer while Redis is down."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from market.redis_bus import RedisEventBus
from market.redis_conn import connect
from tests.fakes.redis_server import RedisTestServer

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def running_bus(url: str, consumer: str, **kw: int) -> AsyncIterator[RedisEventBus]:
    bus = RedisEventBus(connect(url), consumer=consumer, block_ms=100, **kw)
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


class Inbox:
    """What a subscriber received, in order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, object]]] = []
        self._arrived = asyncio.Event()

    def __call__(self, topic: str, message: dict[str, object]) -> None:
        self.items.append((topic, message))
        self._arrived.set()

    def numbers(self) -> list[object]:
        return [m["n"] for _, m in self.items]

    async def wait_for(self, count: int, timeout_s: float = 20.0) -> None:
        async with asyncio.timeout(timeout_s):
            while len(self.items) < count:
                self._arrived.clear()
                await self._arrived.wait()


async def until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 (another task's connection state: nothing to wait on)
            await asyncio.sleep(0.01)


async def test_two_buses_fan_out_each_event_once_to_every_process(redis_server: RedisTestServer) -> None:
    async with running_bus(redis_server.url, "api-1") as a, running_bus(redis_server.url, "api-2") as b:
        got_a, got_b, other = Inbox(), Inbox(), Inbox()
        a.subscribe(["quote:AAPL"], got_a)
        b.subscribe(["quote:AAPL", "signal:AAPL"], got_b)
        b.subscribe(["quote:MSFT"], other)
        for n in range(50):
            a.publish("quote:AAPL", {"n": n, "price": 100.0 + n})
        a.publish("signal:AAPL", {"n": 50, "signal": "golden_cross"})
        await got_b.wait_for(51)
        await asyncio.sleep(0.3)  # anything extra (a duplicate, an echo) would arrive by now
        assert got_b.numbers() == list(range(51))
        assert got_b.items[-1] == ("signal:AAPL", {"n": 50, "signal": "golden_cross"})
        assert got_a.numbers() == list(range(50))  # delivered locally at once, never echoed back
        assert other.items == []
        assert b.stats()["received"] == 51
        assert a.stats()["written"] == 51


async def test_an_event_published_by_another_process_arrives(redis_server: RedisTestServer) -> None:
    script = textwrap.dedent(f"""
        import asyncio
        from market.redis_bus import RedisEventBus
        from market.redis_conn import connect

        async def main() -> None:
            bus = RedisEventBus(connect({redis_server.url!r}), consumer="collector")
            await bus.start()
            for n in range(20):
                bus.publish("signal:005930.KS", {{"n": n, "signal": "rsi_oversold"}})
            await bus.close()

        asyncio.run(main())
    """)
    async with running_bus(redis_server.url, "bot") as bus:
        inbox = Inbox()
        bus.subscribe(["signal:005930.KS"], inbox)
        await asyncio.sleep(0.2)  # the group exists before the other process publishes
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()
        await inbox.wait_for(20)
        assert inbox.numbers() == list(range(20))


async def test_a_restarted_consumer_resumes_after_its_last_acknowledged_event(
    redis_server: RedisTestServer,
) -> None:
    async with running_bus(redis_server.url, "collector") as producer:
        first = Inbox()
        async with running_bus(redis_server.url, "bot") as consumer:
            consumer.subscribe(["signal:KAU25"], first)
            for n in range(10):
                producer.publish("signal:KAU25", {"n": n})
            await first.wait_for(10)
        for n in range(10, 25):  # the bot is down
            producer.publish("signal:KAU25", {"n": n})
        await until(lambda: producer.stats()["buffered"] == 0)
        second = Inbox()
        async with running_bus(redis_server.url, "bot") as consumer:
            consumer.subscribe(["signal:KAU25"], second)
            for n in range(25, 30):
                producer.publish("signal:KAU25", {"n": n})
            await second.wait_for(20)
            await asyncio.sleep(0.3)
        assert first.numbers() == list(range(10))
        assert second.numbers() == list(range(10, 30))  # nothing lost, nothing twice


async def test_redis_killed_and_restarted_mid_stream_loses_nothing(redis_server: RedisTestServer) -> None:
    async with (
        running_bus(redis_server.url, "collector") as producer,
        running_bus(redis_server.url, "api-1") as consumer,
    ):
        inbox = Inbox()
        consumer.subscribe(["quote:KAU25"], inbox)
        for n in range(100):
            producer.publish("quote:KAU25", {"n": n})
        await inbox.wait_for(30)
        redis_server.kill()  # SIGKILL, mid-stream
        for n in range(100, 200):  # published while Redis is down: buffered
            producer.publish("quote:KAU25", {"n": n})
            await asyncio.sleep(0.002)
        await until(lambda: not producer.connected and not consumer.connected)
        assert producer.stats()["state"] == "degraded"
        await asyncio.to_thread(redis_server.start)  # the same port and append-only file
        for n in range(200, 250):
            producer.publish("quote:KAU25", {"n": n})
        await inbox.wait_for(250, timeout_s=40)
        await asyncio.sleep(0.5)
        assert inbox.numbers() == list(range(250))  # none lost, none twice, in order
        await until(lambda: producer.connected and consumer.connected)
        assert producer.stats()["dropped"] == 0


async def test_the_buffer_is_bounded_while_redis_is_down(
    redis_server: RedisTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        running_bus(redis_server.url, "collector", buffer_max=50) as producer,
        running_bus(redis_server.url, "api-1") as consumer,
    ):
        inbox = Inbox()
        consumer.subscribe(["quote:X"], inbox)
        await asyncio.sleep(0.2)
        redis_server.kill()
        await asyncio.sleep(0.1)
        for n in range(80):
            producer.publish("quote:X", {"n": n})
        await until(lambda: not producer.connected)
        stats = producer.stats()
        assert (stats["buffered"], stats["dropped"]) == (50, 30)
        warnings = [r.getMessage() for r in caplog.records if "buffer full" in r.getMessage()]
        assert len(warnings) == 1  # once per outage, not once per event
        await asyncio.to_thread(redis_server.start)
        await inbox.wait_for(50, timeout_s=40)
        await asyncio.sleep(0.3)
        assert inbox.numbers() == list(range(30, 80))  # the newest 50 survive


async def test_an_ephemeral_group_is_removed_at_close_and_a_named_one_is_kept(
    redis_server: RedisTestServer,
) -> None:
    async with running_bus(redis_server.url, "bot"):
        pass
    bus = RedisEventBus(connect(redis_server.url), consumer="host:1234", ephemeral=True)
    await bus.start()
    await bus.close()
    client = connect(redis_server.url)
    try:
        groups = await client.xinfo_groups("finsignal:events:signal")
    finally:
        await client.aclose()
    assert [g["name"] for g in groups] == ["bot"]


async def test_writes_refused_by_a_full_server_are_kept_and_written_later(
    redis_server: RedisTestServer,
) -> None:
    admin = connect(redis_server.url)
    try:
        async with (
            running_bus(redis_server.url, "collector") as producer,
            running_bus(redis_server.url, "api-1") as consumer,
        ):
            inbox = Inbox()
            consumer.subscribe(["signal:X"], inbox)
            await admin.config_set("maxmemory-policy", "noeviction")
            await admin.config_set("maxmemory", "1")  # every write now fails with OOM
            for n in range(10):
                producer.publish("signal:X", {"n": n})
            await until(lambda: producer.stats()["state"] == "degraded")
            assert producer.stats()["buffered"] == 10
            await admin.config_set("maxmemory", "0")
            await inbox.wait_for(10)
            assert inbox.numbers() == list(range(10))
    finally:
        await admin.config_set("maxmemory", "0")
        await admin.aclose()
