"""An API process beside a collector (role api, issue 20) with Redis down: quotes come from the
database, never from a source; /readyz says degraded and recovers when Redis returns."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from finsignal.container import open_app
from finsignal.webapi import build_asgi_app
from tests.api.conftest import READ_KEY, START, closes, seed
from tests.fakes.fake_sources import FakeSources
from tests.fakes.redis_server import RedisTestServer
from tests.fakes.source_payloads import daily_rows
from tests.scaleout.test_hot_tier import settings_for


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources(latency_s=0.0) as server:
        server.add_yahoo("AAPL", daily_rows(START, closes()))
        yield server


async def test_an_api_process_serves_from_the_database_while_redis_is_down(
    fake: FakeSources, tmp_path: Path, redis_server: RedisTestServer
) -> None:
    settings = settings_for(fake, tmp_path, redis_url=redis_server.url, role="api")
    async with open_app(settings) as app:
        bars = await seed(app.db)
    app = build_asgi_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            headers = {"X-API-Key": READ_KEY}
            redis_server.kill()
            quote = await client.get("/v1/quotes/AAPL", headers=headers)
            assert quote.status_code == 200, quote.text
            assert quote.json()["source"] == "stored:yahoo"
            assert quote.json()["price"] == pytest.approx(bars[-1].close)
            async with asyncio.timeout(20):
                while (await client.get("/readyz")).json()["status"] != "degraded":  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            assert fake.count("yahoo") == 0  # never a source, even with the hot tier gone
            await asyncio.to_thread(redis_server.start)
            async with asyncio.timeout(30):
                while (await client.get("/readyz")).json()["status"] != "ready":  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
