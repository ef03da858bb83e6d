"""GET /v1/flows and /v1/flows/chart.png via httpx on the ASGI app of the real composition root
(`finsignal.webapi.build_asgi_app`), reading Parquet datasets in the settings' fund-flow directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from finsignal.webapi import build_asgi_app
from storage import Database
from tests.api.conftest import READ_KEY, seed, settings_for
from tests.fakes.fake_sources import FakeSources
from tests.fundflow.frames import store, two_markets

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


@pytest.fixture
async def client(db: Database, fake_sources: FakeSources, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    app = build_asgi_app(settings_for(db, fake_sources, fundflow_dir=tmp_path / "flows"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers={"X-API-Key": READ_KEY}
        ) as c:
            yield c


async def test_flows_json_in_english_and_korean(client: httpx.AsyncClient, tmp_path: Path) -> None:
    empty = await client.get("/v1/flows")
    assert empty.status_code == 200
    assert empty.json()["month"] is None
    assert empty.json()["sentences"] == [
        "No fund-flow data yet: an administrator runs `finsignal flows collect`."
    ]
    assert (await client.get("/v1/flows/chart.png")).json()["error"]["code"] == "no_data"

    store(two_markets(), tmp_path / "flows")
    body = (await client.get("/v1/flows")).json()
    assert body["month"] == "2024-05"
    assert body["months"] == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert body["shares"]["bonds"][-1] == 0.7  # 140 / (140 + 60), by hand
    assert body["shares"]["stocks"][0] == 0.5
    assert body["correlation"]["bonds"]["stocks"] == -0.4781  # -.01 / sqrt(.021875 * .02)
    assert body["rotations"][-1] == {
        "month": "2024-05", "from": "stocks", "to": "bonds", "months": 3,
        "from_change": -0.15, "to_change": 0.15,
    }  # fmt: skip
    assert (
        body["sentences"][1]
        == "Latest rotation: 2024-05, Stocks -15.0 pt while Bonds +15.0 pt over 3 months."
    )
    ko = (await client.get("/v1/flows", params={"lang": "ko"})).json()
    assert ko["sentences"][1] == "최근 자금 이동: 2024-05, 3개월 동안 주식 -15.0%p, 채권 +15.0%p."

    chart = await client.get("/v1/flows/chart.png", params={"lang": "ko"})
    assert chart.status_code == 200
    assert chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")


async def test_flows_needs_a_key_and_a_known_language(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/v1/flows", headers={"X-API-Key": ""})
    assert anonymous.status_code == 401
    bad = await client.get("/v1/flows", params={"lang": "fr"})
    assert bad.status_code == 422
    assert "error" in bad.json()
