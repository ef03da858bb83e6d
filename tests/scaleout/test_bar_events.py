"""Bar-closed events (issue 20): the collector's daily finalise and the KRX minute updater's closed 1m,
5m and 15m bars go out as `bar:SYMBOL` on Redis; an API worker (real uvicorn process) forwards them to
WebSocket clients that asked for kind `bar`; another process's hot-tier L1 window is dropped by them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from core.types import Bar, Chat, ChatKind, Instrument, Interval, Market, Watch
from market.bus import BarAnnouncer
from market.hot_tier import HotTier
from market.redis_bus import RedisEventBus
from market.redis_conn import connect as redis_connect
from market.resolver import make_instrument
from scheduler import Runtime
from storage import Database
from tests.api.conftest import READ_KEY, START, closes, seed
from tests.fakes.fake_sources import FakeSources
from tests.fakes.redis_server import RedisTestServer
from tests.fakes.source_payloads import daily_rows
from tests.scaleout.processes import base_env, start_api
from tests.scaleout.test_redis_bus import until
from tests.scheduler.conftest import make_settings
from tests.scheduler.fakes import FakeMarket, FixedClock, RecordingNotifier, engine_factory

SAMSUNG = Instrument("005930.KS", "Samsung Electronics", Market.KRX, "KRW", "Asia/Seoul", sources=("kis",))
IN_KRX_SESSION = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wed 11:00 Seoul
IN_US_SESSION = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)  # Wed 11:00 New York


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources(latency_s=0.0) as server:
        server.add_yahoo("AAPL", daily_rows(START, closes()))
        yield server


@pytest.mark.timeout(600)
async def test_closed_bars_reach_websocket_clients_of_an_api_worker(
    redis_server: RedisTestServer, sqlite_db: Database, sqlite_url: str, fake: FakeSources, tmp_path: Path
) -> None:
    repos = sqlite_db.repos
    history = await seed(sqlite_db)
    await repos.instruments.upsert_instruments([make_instrument("AAPL", Market.US, "Apple"), SAMSUNG])
    await repos.chats.upsert_chat(Chat(7, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(7, "005930.KS"))
    env = base_env(sqlite_url, redis_server.url, fake, tmp_path / "var")
    api, url = await asyncio.to_thread(start_api, env, tmp_path / "api.log")
    bus = RedisEventBus(redis_connect(redis_server.url), consumer="collector", block_ms=100)
    await bus.start()
    try:
        ws = await connect(url.replace("http://", "ws://") + f"/v1/stream?api_key={READ_KEY}")
        await ws.send(json.dumps({"action": "subscribe", "kinds": ["bar", "quote"],
                                  "symbols": ["AAPL", "005930.KS"]}))  # fmt: skip
        assert json.loads(await ws.recv())["data"]["topics"] == [
            "bar:005930.KS", "bar:AAPL", "quote:005930.KS", "quote:AAPL"]  # fmt: skip

        clock = FixedClock(IN_KRX_SESSION)
        market = FakeMarket(repos)
        collector = Runtime(
            make_settings(kis_app_key="k", kis_app_secret="s"),
            repos,
            market=market,
            notifier=RecordingNotifier(repos),
            engine_factory=engine_factory,
            clock=clock,
            owner_id="collector",
            bars_closed=BarAnnouncer(bus),
        )
        first = IN_KRX_SESSION - timedelta(minutes=5)  # 10:55 .. 10:59 Seoul: the 10:55 5m bucket closed
        market.queued["005930.KS"] = [
            Bar("005930.KS", Interval.M1, first + timedelta(minutes=i), c, c + 50, c - 50, c, 100.0 + i)
            for i, c in enumerate([79_800, 80_100, 80_300, 80_000, 80_200])
        ]
        assert (await collector.run_job("update_minute_bars.krx")).outcome == "ok"
        minute = await _bars(ws, 7)
        by_interval: dict[str, list[dict[str, Any]]] = {}
        for msg in minute:
            assert msg["symbol"] == "005930.KS"
            by_interval.setdefault(msg["data"]["interval"], []).append(msg["data"])
        assert [b["ts"] for b in by_interval["1m"]] == [
            (first + timedelta(minutes=i)).isoformat() for i in range(5)
        ]
        [five] = by_interval["5m"]
        assert (five["ts"], five["open"], five["close"], five["high"], five["low"], five["volume"]) == (
            first.isoformat(), 79_800, 80_200, 80_350, 79_750, 510.0)  # fmt: skip
        [fifteen] = by_interval["15m"]
        assert fifteen["ts"] == (IN_KRX_SESSION - timedelta(minutes=15)).isoformat()

        clock.t = IN_US_SESSION
        new_day = replace(history[-1], ts=history[-1].ts + timedelta(days=1), close=123.25)
        market.queued["AAPL"] = [new_day]
        assert (await collector.run_job("finalise_bars.us")).outcome == "ok"
        [daily] = await _bars(ws, 1)
        assert daily["symbol"] == "AAPL"
        assert daily["data"]["interval"] == "1d"
        assert (daily["data"]["ts"], daily["data"]["close"]) == (new_day.ts.isoformat(), 123.25)
        await ws.close()
        await collector.stop()
    finally:
        await bus.close()
        api.stop()


async def _bars(ws: Any, count: int, timeout_s: float = 60.0) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout_s):
        while len(got) < count:
            msg = json.loads(await ws.recv())
            if msg["type"] == "bar":
                got.append(msg)
    await asyncio.sleep(0.3)  # nothing more arrives
    return got


async def test_a_bar_event_drops_another_process_l1_window(redis_server: RedisTestServer) -> None:
    writer_bus = RedisEventBus(redis_connect(redis_server.url), consumer="w", block_ms=100)
    reader_bus = RedisEventBus(redis_connect(redis_server.url), consumer="r", block_ms=100)
    client = redis_connect(redis_server.url)
    tier = HotTier(client, bars_ttl_s=600, bars_hours=6, flows_ttl_s=600, indicators_ttl_s=600)
    reader_bus.on_remote("bar", tier.on_bar)
    await writer_bus.start()
    await reader_bus.start()
    try:
        key = "finsignal:bars:005930.KS:1m"
        t0 = IN_KRX_SESSION.timestamp()
        await client.set(key + ":since", repr(t0 - 3600))
        one = Bar("005930.KS", Interval.M1, IN_KRX_SESSION, 1, 1, 1, 1, 1)
        await client.zadd(key, {json.dumps([one.ts.isoformat(), "1m", 1, 1, 1, 1, 1, 1.0, "", 0]): t0})
        window = await tier.bar_window("005930.KS", Interval.M1)
        assert window is not None
        assert len(window) == 1
        two = replace(one, ts=one.ts + timedelta(minutes=1))
        await client.zadd(key, {json.dumps([two.ts.isoformat(), "1m", 2, 2, 2, 2, 2, 1.0, "", 0]): t0 + 60})
        cached = await tier.bar_window("005930.KS", Interval.M1)
        assert cached is not None
        assert len(cached) == 1
        BarAnnouncer(writer_bus)([two])
        await until(lambda: reader_bus.received >= 1)
        fresh = await tier.bar_window("005930.KS", Interval.M1)
        assert fresh is not None
        assert len(fresh) == 2
        assert fresh.between(None, None)[-1].close == 2
    finally:
        await writer_bus.close()
        await reader_bus.close()
        await client.aclose()
