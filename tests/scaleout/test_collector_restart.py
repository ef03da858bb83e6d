"""Nothing lost when Redis was down across a collector restart (issue 20): a collector stores signal
events while Redis is down (they wait in its memory), is killed with SIGKILL, Redis comes back, a
collector (`finsignal run --role collector`, a real process) starts: it re-publishes the stored
events the stream missed, and the bot's outbox gets each exactly once; a further restart adds nothing."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import load_settings
from core.types import Chat, ChatKind, Market, Watch
from finsignal.container import open_app
from finsignal.runtime import NoDelivery
from finsignal.scaleout import StoredSignals
from market.bus import BusNotifier
from market.redis_bus import RedisEventBus
from market.redis_conn import connect as redis_connect
from market.resolver import make_instrument
from storage import Database
from tests.api.conftest import START, closes
from tests.fakes.fake_sources import FakeSources
from tests.fakes.redis_server import RedisTestServer
from tests.fakes.source_payloads import daily_rows
from tests.scaleout.crashing_collector import events
from tests.scaleout.processes import ROOT, Proc, base_env, start
from tests.scaleout.test_bot_delivery import _wait_rows
from tests.scaleout.test_redis_bus import until

N = 6


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources(latency_s=0.0) as server:
        server.add_yahoo("AAPL", daily_rows(START, closes()))
        yield server


def crashing(env: dict[str, str], log: Path, cue: Path) -> Proc:
    import subprocess

    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "tests.scaleout.crashing_collector", str(cue), str(N)],
            env=env, cwd=ROOT, stdout=out, stderr=out,
        )  # fmt: skip
    return Proc(popen, log)


@pytest.mark.timeout(600)
async def test_signals_stored_while_redis_was_down_reach_the_outbox_once_after_a_collector_restart(
    redis_server: RedisTestServer, sqlite_db: Database, sqlite_url: str, fake: FakeSources, tmp_path: Path
) -> None:
    repos = sqlite_db.repos
    await repos.instruments.upsert_instruments([make_instrument("AAPL", Market.US, "Apple")])
    for chat in (1, 2):
        await repos.chats.upsert_chat(Chat(chat, ChatKind.PRIVATE))
        await repos.watches.upsert_watch(Watch(chat, "AAPL"))
    env = base_env(sqlite_url, redis_server.url, fake, tmp_path / "var")
    cue = tmp_path / "go"
    procs: list[Proc] = []
    try:
        first = crashing(env, tmp_path / "first.log", cue)
        procs.append(first)
        await asyncio.to_thread(first.wait_log, "ready", 240.0)  # the stream's mark is set
        redis_server.kill()
        cue.touch()
        await asyncio.to_thread(first.wait_log, f"stored {N}", 60.0)
        first.kill9()  # its buffer (the N events) is gone; the database has them
        assert len(await repos.events.list_events("AAPL")) == N
        await asyncio.to_thread(redis_server.start)  # the same port and append-only file

        settings = load_settings(database_url=sqlite_url, redis_url=redis_server.url, role="bot",
                                 data_dir=tmp_path / "bot")  # fmt: skip
        async with open_app(settings):  # the bot's delivery, consuming the signal stream
            collector = start(env, tmp_path / "second.log", "run", "--role", "collector")
            procs.append(collector)
            await asyncio.to_thread(collector.wait_log, f"re-publishing {N} stored signal events", 240.0)
            await _wait_rows(sqlite_db, 2 * N, timeout_s=60)
            assert collector.stop() == 0
            third = start(env, tmp_path / "third.log", "run", "--role", "collector")
            procs.append(third)
            await asyncio.to_thread(third.wait_log, "is active", 240.0)
            await asyncio.sleep(2.0)  # a re-published duplicate would arrive by now
            assert "re-publishing" not in third.text()
        assert await repos.outbox.count_pending() == 2 * N  # N events x 2 chats: none lost, none twice
    finally:
        for proc in procs:
            proc.stop()


async def test_signals_the_buffer_dropped_during_an_outage_are_re_published_when_redis_returns(
    redis_server: RedisTestServer, sqlite_db: Database
) -> None:
    repos = sqlite_db.repos
    bus = RedisEventBus(redis_connect(redis_server.url), consumer="collector", buffer_max=3, block_ms=100)
    bus.set_store(StoredSignals(repos))
    await bus.start(read=False)
    reader = redis_connect(redis_server.url)
    try:
        await until(lambda: bus.stats()["state"] == "ok")
        async with asyncio.timeout(20):
            while await bus.mark() is None:  # noqa: ASYNC110 (set by the writer task)
                await asyncio.sleep(0.05)
        redis_server.kill()
        stored = await repos.events.add_events(events(8))
        await BusNotifier(NoDelivery(), bus).publish(stored)
        await until(lambda: not bus.connected)
        assert bus.stats()["buffered"] == 3  # 5 signals dropped from the buffer
        await asyncio.to_thread(redis_server.start)
        want = sorted(e.id or 0 for e in stored)
        async with asyncio.timeout(30):
            while True:
                entries = await reader.xrange("finsignal:events:signal")
                ids = sorted(json.loads(f["data"])["id"] for _, f in entries)
                if ids == want:
                    break
                assert len(ids) <= len(want), ids  # nothing twice
                await asyncio.sleep(0.05)
        assert bus.stats()["republished"] == 5
        assert await bus.mark() == want[-1]
    finally:
        await bus.close()
        await reader.aclose()
