"""GET /v1/investors/{symbol} through the ASGI app, KIS played by its stand-in, on SQLite and MariaDB."""

from __future__ import annotations

import httpx

from finsignal.webapi import build_asgi_app as build
from storage import Database
from tests.api.conftest import READ_KEY, seed, settings_for
from tests.fakes.fake_kis import FakeKis
from tests.fakes.fake_sources import FakeSources

H = {"X-API-Key": READ_KEY}


async def test_investor_flows_of_a_korean_stock(db: Database, fake_sources: FakeSources) -> None:
    await seed(db)
    with FakeKis(rate_per_s=1000) as kis:
        settings = settings_for(db, fake_sources, **kis.settings_overrides(api_rate_per_minute=1000))
        app = build(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                r = await client.get("/v1/investors/005930", headers=H, params={"days": 10})
                assert r.status_code == 200, r.text
                body = r.json()
                assert body["symbol"] == "005930.KS"
                assert body["currency"] == "KRW"
                assert len(body["days"]) == 10
                dates = [d["date"] for d in body["days"]]
                assert dates == sorted(dates)
                last = body["days"][-1]
                assert last["individual"]["qty"] == -(last["foreign"]["qty"] + last["institution"]["qty"])
                assert abs(last["foreign"]["value"] - last["foreign"]["qty"] * last["close"]) <= 0.5e6 + 1
                us = await client.get("/v1/investors/AAPL", headers=H)
                assert us.status_code == 422
                assert "Korean stocks" in us.json()["error"]["message"]
                too_many = await client.get("/v1/investors/005930", headers=H, params={"days": 500})
                assert too_many.status_code == 422
                assert (await client.get("/v1/investors/005930")).status_code == 401
