"""The Redis hot tier behind the in-process quote cache, wired by the composition root: a collector
process fetches, an API process reads it from Redis once and then from its L1 until the collector's
quote event invalidates it; Redis down: no crash, /readyz says degraded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from core.settings import Settings
from core.types import Quote
from finsignal.container import open_app
from finsignal.webapi import build_asgi_app
from market.bus import LocalEventBus
from market.quotes import CachedQuote, QuoteCache
from market.redis_bus import RedisEventBus
from tests.api.conftest import READ_KEY, seed
from tests.fakes.fake_sources import FakeSources
from tests.fakes.redis_server import RedisTestServer
from tests.fakes.source_payloads import daily_rows
from tests.market.conftest import make_settings
from tests.scaleout.test_redis_bus import Inbox, until

START = date(2026, 10, 1)


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources() as server:
        yield server


def settings_for(fake: FakeSources, tmp_path: Path, **extra: Any) -> Settings:
    return make_settings(fake, database_url=f"sqlite+aiosqlite:///{tmp_path / 'fs.db'}", **extra)


def get_calls(server: RedisTestServer) -> int:
    """GET commands the server has answered (only the hot tier sends GET)."""
    client = redis.Redis(host="127.0.0.1", port=server.port)
    try:
        stats: dict[str, Any] = client.info("commandstats")  # type: ignore[assignment]
        return int(stats.get("cmdstat_get", {}).get("calls", 0))
    finally:
        client.close()


async def test_without_redis_url_everything_stays_in_process(fake: FakeSources, tmp_path: Path) -> None:
    async with open_app(settings_for(fake, tmp_path)) as app:
        assert isinstance(app.bus, LocalEventBus)


async def test_l1_serves_reads_until_a_quote_event_invalidates_it(
    fake: FakeSources, tmp_path: Path, redis_server: RedisTestServer
) -> None:
    fake.add_yahoo("SPY", daily_rows(START, [100.0 + i for i in range(30)]))
    url = redis_server.url
    collector_settings = settings_for(fake, tmp_path, redis_url=url, redis_consumer="collector")
    api_settings = settings_for(fake, tmp_path, redis_url=url, redis_consumer="api-1")
    async with open_app(collector_settings) as collector, open_app(api_settings) as api:
        assert isinstance(api.bus, RedisEventBus)
        inst = await collector.market.resolve("SPY")
        first, _ = await collector.market.quote(inst)
        await until(lambda: api.bus.stats()["received"] == 1)  # type: ignore[attr-defined]
        fetches = fake.count("yahoo")
        gets = get_calls(redis_server)

        got, _ = await api.market.quote(inst)  # L1 miss -> one GET, no source fetch
        assert got == first
        assert get_calls(redis_server) == gets + 1
        for _ in range(5):
            assert (await api.market.quote(inst))[0] == first
        assert get_calls(redis_server) == gets + 1  # from L1: no round trip
        assert fake.count("yahoo") == fetches  # the API process never asked the source

        events = Inbox()
        api.bus.subscribe(["quote:SPY"], events)
        fake.add_yahoo("SPY", daily_rows(START, [100.0 + i for i in range(29)] + [250.0]))
        assert await collector.market.refresh_quotes([inst]) == 1
        await events.wait_for(1)
        assert events.items[0][1]["price"] == pytest.approx(250.0)
        newer, _ = await api.market.quote(inst)  # L1 was invalidated: read again from Redis
        assert newer.price == pytest.approx(250.0)
        assert get_calls(redis_server) == gets + 2
        assert fake.count("yahoo") == fetches + 1  # only the collector's refresh


async def test_redis_down_degrades_without_crashing_and_readyz_says_so(
    fake: FakeSources, tmp_path: Path, redis_server: RedisTestServer
) -> None:
    fake.add_yahoo("AAPL", daily_rows(START, [100.0 + i for i in range(30)]))
    settings = settings_for(fake, tmp_path, redis_url=redis_server.url, redis_consumer="api-1")
    async with open_app(settings) as app:
        await seed(app.db)
    app = build_asgi_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            headers = {"X-API-Key": READ_KEY}
            ready = await client.get("/readyz")
            assert ready.json()["status"] == "ready"
            assert ready.json()["redis"]["state"] == "ok"
            redis_server.kill()
            quote = await client.get("/v1/quotes/AAPL", headers=headers)  # cold: hot tier down, source up
            assert quote.status_code == 200, quote.text
            assert quote.json()["price"] == pytest.approx(129.0)

            async def degraded() -> bool:
                report = (await client.get("/readyz")).json()
                return bool(report["status"] == "degraded")

            async with asyncio.timeout(20):
                while not await degraded():  # noqa: ASYNC110 (the bus notices on its next read)
                    await asyncio.sleep(0.05)
            ready = await client.get("/readyz")
            assert ready.status_code == 200  # still serving, from the database and sources
            assert ready.json()["redis"]["state"] == "degraded"
            await asyncio.to_thread(redis_server.start)
            async with asyncio.timeout(30):
                while (await client.get("/readyz")).json()["status"] != "ready":  # noqa: ASYNC110
                    await asyncio.sleep(0.05)


class _GatedTier:
    """A hot tier whose read waits on a gate, to invalidate the symbol while the read is in flight."""

    def __init__(self, cached: CachedQuote) -> None:
        self.cached, self.gate, self.reads = cached, asyncio.Event(), 0

    async def get(self, symbol: str) -> CachedQuote | None:
        self.reads += 1
        await self.gate.wait()
        return self.cached

    async def put(self, cached: CachedQuote) -> None:
        self.cached = cached


async def test_a_read_overtaken_by_an_invalidation_is_not_kept_in_l1() -> None:
    now = datetime.now(UTC)
    tier = _GatedTier(CachedQuote(Quote("SPY", 100.0, now, "yahoo"), now))
    cache = QuoteCache(hot=tier)
    read = asyncio.create_task(cache.lookup("SPY"))
    await asyncio.sleep(0)
    cache.invalidate("SPY")  # a newer quote was announced while the GET was on the wire
    tier.gate.set()
    assert (await read) is not None  # this caller still gets an answer...
    assert cache.get("SPY") is None  # ...but L1 does not keep what may be the older quote
    await cache.lookup("SPY")
    assert cache.get("SPY") is not None  # an undisturbed read is kept
    assert tier.reads == 2
