"""The hot tier beyond quotes (issue 20) on a real redis-server, between a collector and an API process
opened by the composition root on one database: recent minute bars, investor flows and indicator
summaries are written by the collector, read by the API from Redis once and then from its L1 until
an event says they changed; the answers equal the database's; Redis down, reads fall back to it."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from core.settings import Settings
from core.types import Bar, Interval, InvestorFlow, Market
from finsignal.container import App, open_app
from finsignal.services import hot_indicators
from finsignal.webapi import build_asgi_app
from market.hot_repos import HotBarRepo, HotFlowRepo, HotIndicators
from market.resolver import make_instrument
from tests.api.conftest import READ_KEY, seed
from tests.fakes.fake_sources import FakeSources
from tests.fakes.redis_server import RedisTestServer
from tests.fakes.source_payloads import daily_rows
from tests.market.conftest import make_settings
from tests.scaleout.test_redis_bus import until

SYMBOL = "005930.KS"


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources(latency_s=0.0) as server:
        server.add_yahoo("AAPL", daily_rows(date(2024, 1, 2), [100.0 + i for i in range(320)]))
        yield server


def settings_for(fake: FakeSources, tmp_path: Path, **extra: Any) -> Settings:
    return make_settings(fake, database_url=f"sqlite+aiosqlite:///{tmp_path / 'fs.db'}", **extra)


def calls(server: RedisTestServer, command: str) -> int:
    client = redis.Redis(host="127.0.0.1", port=server.port)
    try:
        stats: dict[str, Any] = client.info("commandstats")  # type: ignore[assignment]
        return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))
    finally:
        client.close()


def minute_bars(end: datetime, count: int, base: float = 70_000.0) -> list[Bar]:
    start = end.replace(second=0, microsecond=0) - timedelta(minutes=count - 1)
    return [
        Bar(SYMBOL, Interval.M1, start + timedelta(minutes=i), base + i, base + i + 50, base + i - 50,
            base + i + 10 * math.sin(i), 1000.0 + i, source="kis")
        for i in range(count)
    ]  # fmt: skip


def hot_bars(app: App) -> HotBarRepo:
    assert isinstance(app.repos.bars, HotBarRepo)
    return app.repos.bars


async def test_recent_minute_bars_come_from_redis_then_l1_until_the_collector_writes(
    fake: FakeSources, tmp_path: Path, redis_server: RedisTestServer
) -> None:
    url = redis_server.url
    collector_s = settings_for(fake, tmp_path, redis_url=url, redis_consumer="collector", redis_bars_hours=3)
    api_s = settings_for(fake, tmp_path, redis_url=url, redis_consumer="api-1", redis_bars_hours=3)
    async with open_app(collector_s) as collector, open_app(api_s) as api:
        await collector.repos.instruments.upsert_instruments([make_instrument(SYMBOL, Market.KRX)])
        now = datetime.now(UTC)
        older = minute_bars(now - timedelta(hours=5), 60, base=60_000.0)  # outside the 3-hour window
        await hot_bars(collector).inner.upsert_bars(older)  # stored before the hot tier knew the symbol
        await collector.repos.bars.upsert_bars(minute_bars(now, 150))
        reader, db = hot_bars(api), hot_bars(api).inner
        await until(lambda: api.bus.stats()["received"] >= 1)  # type: ignore[attr-defined]

        hour = now - timedelta(hours=1)
        ranges: list[dict[str, Any]] = [
            {"start": hour},
            {"start": hour, "end": now - timedelta(minutes=30)},
            {"limit": 1},
            {"limit": 20},
        ]
        zranges = calls(redis_server, "zrange")
        for query in ranges:
            assert await reader.list_bars(SYMBOL, Interval.M1, **query) == await db.list_bars(
                SYMBOL, Interval.M1, **query
            )
        assert reader.hot_reads == len(ranges)
        assert calls(redis_server, "zrange") == zranges + 1  # one round trip, then L1
        assert await reader.last_bar(SYMBOL, Interval.M1) == (await db.list_bars(SYMBOL, Interval.M1))[-1]

        five_hours = {"start": now - timedelta(hours=5, minutes=30)}  # before the window: the database
        assert await reader.list_bars(SYMBOL, Interval.M1, **five_hours) == await db.list_bars(
            SYMBOL, Interval.M1, **five_hours
        )
        assert reader.hot_reads == len(ranges) + 1  # the limit=1 of last_bar; not the old range

        forming = minute_bars(now + timedelta(minutes=1), 2, base=71_000.0)  # a new bar and a replaced one
        await collector.repos.bars.upsert_bars(forming)
        received = api.bus.stats()["received"]  # type: ignore[attr-defined]
        await until(lambda: api.bus.stats()["received"] > received)  # type: ignore[attr-defined]
        got = await reader.list_bars(SYMBOL, Interval.M1, start=hour)
        assert got == await db.list_bars(SYMBOL, Interval.M1, start=hour)
        assert got[-2:] == forming
        assert calls(redis_server, "zrange") == zranges + 2  # L1 was dropped by the event: read again


async def test_v1_bars_intraday_answers_as_the_database_does(
    fake: FakeSources, tmp_path: Path, redis_server: RedisTestServer
) -> None:
    plain = settings_for(fake, tmp_path)
    hot = settings_for(fake, tmp_path, redis_url=redis_server.url, redis_consumer="api-1")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    async with open_app(hot) as app:
        await seed(app.db)
        await app.repos.instruments.upsert_instruments([make_instrument("AAPL", Market.US)])
        bars = [
            Bar("AAPL", Interval.M5, today + timedelta(minutes=5 * i), 100 + i, 101 + i, 99, 100.5 + i, 10)
            for i in range(int((datetime.now(UTC) - today).total_seconds() // 300) + 1)
        ]
        await app.repos.bars.upsert_bars(bars)
    query = {"interval": "5m", "start": today.date().isoformat(), "end": today.date().isoformat()}
    bodies = []
    for settings in (plain, hot):
        zranges = calls(redis_server, "zrange")
        app = build_asgi_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                got = await client.get("/v1/bars/AAPL", params=query, headers={"X-API-Key": READ_KEY})
                assert got.status_code == 200, got.text
                bodies.append(got.json())
        used_redis = calls(redis_server, "zrange") > zranges
        assert used_redis == (settings is hot)
    assert bodies[0] == bodies[1]
    assert len(bodies[1]["bars"]) == len(bars)


def flow(day: date, net: float) -> InvestorFlow:
    return InvestorFlow(
        SYMBOL, day, 70_000.0, net, -net / 2, -net / 2, net * 7e4, -net * 3.5e4, -net * 3.5e4, "kis"
    )


async def test_flows_and_indicator_summaries_are_shared_through_redis(
    fake: FakeSources, tmp_path: Path, redis_server: RedisTestServer
) -> None:
    url = redis_server.url
    collector_s = settings_for(fake, tmp_path, redis_url=url, redis_consumer="collector")
    api_s = settings_for(fake, tmp_path, redis_url=url, redis_consumer="api-1")
    api2_s = settings_for(fake, tmp_path, redis_url=url, redis_consumer="api-2")
    async with open_app(collector_s) as collector, open_app(api_s) as api, open_app(api2_s) as api2:
        await collector.repos.instruments.upsert_instruments([make_instrument(SYMBOL, Market.KRX)])
        days = [date(2026, 9, 1) + timedelta(days=i) for i in range(30)]
        await collector.repos.flows.upsert_flows([flow(d, 1000.0 * (i - 15)) for i, d in enumerate(days)])
        flows = api.repos.flows
        assert isinstance(flows, HotFlowRepo)
        for limit in (1, 20, 60):
            assert await flows.list_flows(SYMBOL, limit=limit) == await flows.inner.list_flows(
                SYMBOL, limit=limit
            )
        assert flows.hot_reads == 3
        today = flow(date(2026, 10, 1), 5000.0)
        await collector.repos.flows.upsert_flows([today])
        await until(lambda: flows.hot.l1.get("finsignal:flows:" + SYMBOL) is None)  # the event dropped L1
        assert (await flows.list_flows(SYMBOL, limit=5))[-1] == today

        daily = [
            Bar(SYMBOL, Interval.D1, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=i), 100, 101, 99,
                100 + 5 * math.sin(i / 9), 1e6)
            for i in range(260)
        ]  # fmt: skip
        await collector.repos.bars.upsert_bars(daily)
        first, second = hot_indicators(api), hot_indicators(api2)
        assert isinstance(first, HotIndicators)
        assert isinstance(second, HotIndicators)
        values = await first.snapshot(SYMBOL)
        assert values["close"] == pytest.approx(daily[-1].close)
        assert values["sma200"] is not None
        assert await second.snapshot(SYMBOL) == values  # from Redis: the second process computed nothing
        assert (first.computed, second.computed) == (1, 0)
        newer = Bar(SYMBOL, Interval.D1, daily[-1].ts + timedelta(days=1), 100, 101, 99, 250.0, 1e6)
        await collector.repos.bars.upsert_bars([newer])  # a new daily bar drops the summary everywhere
        await until(lambda: second.hot.l1.get("finsignal:ind:" + SYMBOL) is None)
        assert (await second.snapshot(SYMBOL))["close"] == pytest.approx(250.0)
        assert second.computed == 1


async def test_redis_down_reads_the_database_and_a_window_missed_is_rebuilt(
    fake: FakeSources, tmp_path: Path, redis_server: RedisTestServer
) -> None:
    settings = settings_for(fake, tmp_path, redis_url=redis_server.url, redis_consumer="collector")
    async with open_app(settings) as app:
        await app.repos.instruments.upsert_instruments([make_instrument(SYMBOL, Market.KRX)])
        repo = hot_bars(app)
        now = datetime.now(UTC)
        await repo.upsert_bars(minute_bars(now - timedelta(minutes=10), 30))
        start = now - timedelta(hours=1)
        redis_server.kill()
        missed = minute_bars(now, 10, base=80_000.0)
        await repo.upsert_bars(missed)  # the database has them; Redis does not
        assert await repo.list_bars(SYMBOL, Interval.M1, start=start) == await repo.inner.list_bars(
            SYMBOL, Interval.M1, start=start
        )
        await asyncio.to_thread(redis_server.start)  # append-only file: the old window is back
        assert await repo.list_bars(SYMBOL, Interval.M1, start=start) == await repo.inner.list_bars(
            SYMBOL, Interval.M1, start=start
        )  # the writer knows its window missed bars: not served
        assert len(missed) == 10
        await repo.upsert_bars(minute_bars(now + timedelta(minutes=1), 1, base=90_000.0))
        assert await repo.list_bars(SYMBOL, Interval.M1, start=start) == await repo.inner.list_bars(
            SYMBOL, Interval.M1, start=start
        )
        assert repo.hot.up
