"""Every endpoint through httpx against the ASGI app, on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from core.types import Bar, Interval, Market
from market.resolver import make_instrument
from signals import SignalEngine, signal_config
from storage import Database
from tests.api.conftest import ADMIN_KEY, READ_KEY, REVOKED_KEY, ApiEnv

H = {"X-API-Key": READ_KEY}


def error_of(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return body["error"]  # type: ignore[no-any-return]


async def test_health_and_docs_need_no_key(api: ApiEnv) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert "yahoo" in ready.json()["sources"]
    spec = (await api.client.get("/openapi.json")).json()
    assert {"/v1/quotes/{symbol}", "/v1/bars/{symbol}", "/v1/signals", "/v1/news"} <= set(spec["paths"])
    assert (await api.client.get("/docs")).status_code == 200
    await api.client.get("/v1/quotes/AAPL", headers=H)
    metrics = (await api.client.get("/metrics")).text
    line = 'finsignal_api_requests_total{method="GET",route="/v1/quotes/{symbol}",status="200"} 1.0'
    assert line in metrics


async def test_auth_401_403_and_bearer(api: ApiEnv) -> None:
    missing = await api.client.get("/v1/quotes/AAPL")
    assert missing.status_code == 401
    assert error_of(missing)["code"] == "unauthorized"
    wrong = await api.client.get("/v1/quotes/AAPL", headers={"X-API-Key": "fsk_nope"})
    assert wrong.status_code == 401
    revoked = await api.client.get("/v1/quotes/AAPL", headers={"X-API-Key": REVOKED_KEY})
    assert revoked.status_code == 401
    bearer = await api.client.get("/v1/quotes/AAPL", headers={"Authorization": f"Bearer {READ_KEY}"})
    assert bearer.status_code == 200
    assert READ_KEY not in bearer.text


async def test_quote_from_the_cache(api: ApiEnv) -> None:
    r = await api.client.get("/v1/quotes/aapl", headers=H)
    assert r.status_code == 200, r.text
    q = r.json()
    last = api.bars[-1]
    assert q["symbol"] == "AAPL"
    assert q["price"] == last.close
    assert q["prev_close"] is not None
    assert q["change"] == q["price"] - q["prev_close"]
    assert q["stale"] in (True, False)
    # the source's 52-week range (Yahoo's fiftyTwoWeekHigh/Low): within the stored history's
    assert min(b.low for b in api.bars) <= q["low_52w"] <= q["price"] <= q["high_52w"]
    assert q["high_52w"] <= max(b.high for b in api.bars)
    assert q["low_52w"] < q["high_52w"]
    assert q["day_low"] <= q["price"] <= q["day_high"]
    assert q["source"]
    assert datetime.fromisoformat(q["time"]).utcoffset() is not None
    requests_before = len(api.fake.requests)
    again = await api.client.get("/v1/quotes/AAPL", headers=H)
    assert again.json()["price"] == q["price"]
    assert len(api.fake.requests) == requests_before  # served from the hot cache


async def test_quotes_many_and_unknown(api: ApiEnv) -> None:
    r = await api.client.get("/v1/quotes", params={"symbols": "AAPL,??bad"}, headers=H)
    assert r.status_code == 200
    body = r.json()
    assert [q["symbol"] for q in body["quotes"]] == ["AAPL"]
    assert body["errors"]["??bad"]["code"] == "unknown_symbol"
    bad = await api.client.get("/v1/quotes/APPL.XX", headers=H)
    assert bad.status_code == 404
    err = error_of(bad)
    assert err["code"] == "unknown_symbol"
    assert "suggestions" in err
    typo = await api.client.get("/v1/bars/APPLE.X", headers=H)
    assert typo.status_code == 404
    assert "AAPL" in error_of(typo)["suggestions"]  # type: ignore[operator]


async def test_instruments_resolution(api: ApiEnv) -> None:
    r = await api.client.get("/v1/instruments", params={"q": "005930"}, headers=H)
    assert r.json()["resolved"]["symbol"] == "005930.KS"
    kau = await api.client.get("/v1/instruments", params={"q": "KAU"}, headers=H)
    assert kau.json()["resolved"]["symbol"].startswith("KAU")
    for q in ("삼성전자", "Samsung Electronics", "samsung", "005930.KS"):
        named = (await api.client.get("/v1/instruments", params={"q": q}, headers=H)).json()
        assert named["resolved"]["symbol"] == "005930.KS", q
        assert named["resolved"]["name"] == "Samsung Electronics"
    partial = (await api.client.get("/v1/instruments", params={"q": "하이닉스"}, headers=H)).json()
    assert [m["symbol"] for m in partial["matches"]] == ["000660.KS"]
    electronics = (await api.client.get("/v1/instruments", params={"q": "electro"}, headers=H)).json()
    assert "005930.KS" in [m["symbol"] for m in electronics["matches"]]
    empty = await api.client.get("/v1/instruments", params={"q": ""}, headers=H)
    assert empty.status_code == 422
    assert error_of(empty)["code"] == "invalid_request"


async def test_bars_raw_adjusted_paging_and_etag(api: ApiEnv) -> None:
    raw = await api.client.get("/v1/bars/AAPL", params={"limit": 50}, headers=H)
    assert raw.status_code == 200
    page = raw.json()
    assert len(page["bars"]) == 50
    assert page["next_cursor"]
    first = page["bars"][0]
    assert first["close"] == api.bars[0].close
    assert first["adj_factor"] == 0.5
    assert datetime.fromisoformat(first["ts_kst"]).utcoffset().total_seconds() == 9 * 3600  # type: ignore[union-attr]
    adj = (await api.client.get("/v1/bars/AAPL", params={"limit": 50, "adjusted": "true"}, headers=H)).json()
    assert adj["bars"][0]["close"] == api.bars[0].close * 0.5
    seen = [b["ts"] for b in page["bars"]]
    cursor = page["next_cursor"]
    while cursor:
        params = {"limit": 50, "cursor": cursor}
        nxt = (await api.client.get("/v1/bars/AAPL", params=params, headers=H)).json()
        seen += [b["ts"] for b in nxt["bars"]]
        cursor = nxt["next_cursor"]
    assert len(seen) == len(set(seen)) == len(api.bars)
    etag = raw.headers["etag"]
    same = await api.client.get("/v1/bars/AAPL", params={"limit": 50}, headers={**H, "If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    full = await api.client.get("/v1/bars/AAPL", headers={**H, "Accept-Encoding": "gzip"})
    assert full.headers["content-encoding"] == "gzip"


async def test_bars_bad_input(api: ApiEnv) -> None:
    bad_date = await api.client.get("/v1/bars/AAPL", params={"start": "2024-13-01"}, headers=H)
    assert bad_date.status_code == 422
    assert "start" in str(error_of(bad_date)["message"])
    bad_iv = await api.client.get("/v1/bars/AAPL", params={"interval": "2h"}, headers=H)
    assert bad_iv.status_code == 422
    params = {"start": "2024-05-01", "end": "2024-01-01"}
    backwards = await api.client.get("/v1/bars/AAPL", params=params, headers=H)
    assert error_of(backwards)["code"] == "invalid_range"
    too_long = await api.client.get(
        "/v1/bars/AAPL", params={"interval": "5m", "start": "2024-01-01", "end": "2024-06-01"}, headers=H
    )
    assert too_long.status_code == 422
    assert "31 days" in str(error_of(too_long)["message"])
    big = await api.client.get("/v1/bars/AAPL", params={"limit": 101}, headers=H)
    assert big.status_code == 422
    assert "100" in str(error_of(big)["message"])


async def test_intraday_bars(api: ApiEnv) -> None:
    day = api.bars[-1].ts.date().isoformat()
    r = await api.client.get("/v1/bars/AAPL", params={"interval": "5m", "start": day, "end": day}, headers=H)
    assert r.status_code == 200
    assert len(r.json()["bars"]) == 12


async def test_indicators_are_the_engines(api: ApiEnv, db: Database) -> None:
    r = await api.client.get("/v1/indicators/AAPL", params={"names": "sma50,rsi14"}, headers=H)
    body = r.json()
    assert len(body["ts"]) == len(api.bars)
    sma = body["values"]["sma50"]
    assert sma[48] is None
    assert sma[49] is not None
    adj = [b.adj_close for b in api.bars]
    assert abs(sma[-1] - sum(adj[-50:]) / 50) < 1e-9
    day = api.bars[-10].ts.date().isoformat()
    params = {"names": "sma50,sma200,rsi14", "start": day, "end": day}
    one = (await api.client.get("/v1/indicators/AAPL", params=params, headers=H)).json()
    assert one["ts"] == [api.bars[-10].ts.isoformat().replace("+00:00", "Z")]
    engine = SignalEngine(signal_config(api.settings))
    stored = await db.repos.bars.list_bars("AAPL")  # as stored (MariaDB: DECIMAL prices)
    engine.warm_up("AAPL", stored[:-9])  # the live engine's state after that bar
    state = engine.snapshot("AAPL")
    for name, key in (("sma50", "sma_fast"), ("sma200", "sma_slow"), ("rsi14", "rsi")):
        assert abs(one["values"][name][0] - state[key]) < 1e-9, (name, one["values"][name][0], state[key])
    unknown = await api.client.get("/v1/indicators/AAPL", params={"names": "macd"}, headers=H)
    assert unknown.status_code == 422
    assert "sma200" in str(error_of(unknown)["message"])


async def test_signals_ratings_news(api: ApiEnv) -> None:
    sig = (await api.client.get("/v1/signals", params={"symbol": "AAPL"}, headers=H)).json()
    assert [s["signal"] for s in sig] == ["golden_cross"]
    none = (await api.client.get("/v1/signals", params={"types": "death_cross"}, headers=H)).json()
    assert none == []
    bad = await api.client.get("/v1/signals", params={"types": "moon"}, headers=H)
    assert bad.status_code == 422
    assert error_of(bad)["code"] == "unknown_signal_type"
    rat = (await api.client.get("/v1/ratings/AAPL", headers=H)).json()
    assert rat["ratings"][0]["grade"] == "B"
    assert rat["ratings"][0]["horizon"] == 20
    keys = ("sd_return", "median_drawdown", "worst_drawdown", "return_risk")
    risk = {k: rat["ratings"][0][k] for k in keys}
    assert risk == {"sd_return": 0.04, "median_drawdown": -0.03, "worst_drawdown": -0.09, "return_risk": 0.67}
    news = (await api.client.get("/v1/news", params={"symbol": "AAPL"}, headers=H)).json()
    assert news[0]["title"] == "Apple beats estimates"
    later = (await api.client.get("/v1/news", params={"since": "2030-01-01T00:00:00Z"}, headers=H)).json()
    assert later == []


async def test_unknown_route_has_the_error_shape(api: ApiEnv) -> None:
    r = await api.client.get("/v1/nothing", headers={"X-API-Key": ADMIN_KEY})
    assert r.status_code == 404
    assert error_of(r)["code"] == "not_found"


async def test_backtests_admin_only_and_job_result(api: ApiEnv) -> None:
    body = {"symbols": ["AAPL"], "years": 1}
    read = await api.client.post("/v1/backtests", json=body, headers=H)
    assert read.status_code == 403
    assert error_of(read)["code"] == "forbidden"
    bad = await api.client.post("/v1/backtests", json={"symbols": []}, headers={"X-API-Key": ADMIN_KEY})
    assert bad.status_code == 422
    started = await api.client.post("/v1/backtests", json=body, headers={"X-API-Key": ADMIN_KEY})
    assert started.status_code == 202
    job_id = started.json()["id"]
    for _ in range(600):
        job = (await api.client.get(f"/v1/backtests/{job_id}", headers=H)).json()
        if job["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.05)
    assert job["status"] == "done", job
    assert {r["symbol"] for r in job["records"]} == {"AAPL"}
    assert {"signal", "horizon", "count", "grade", "hit_rate"} <= set(job["records"][0])
    missing = await api.client.get("/v1/backtests/nope", headers=H)
    assert missing.status_code == 404


async def test_carbon_history_aligned_and_carried(api: ApiEnv, db: Database) -> None:
    def bar(symbol: str, day: int, close: float) -> Bar:
        return Bar(symbol, Interval.D1, datetime(2025, 3, day, tzinfo=UTC), close, close, close, close, 100)

    # KAU25 and KAU26: the front vintage is the one with the larger volume on the latest day
    await db.repos.instruments.upsert_instruments(
        [make_instrument("KAU25", Market.KETS), make_instrument("KAU26", Market.KETS)]
    )
    await db.repos.bars.upsert_bars([
        bar("FCO2.DE", 3, 70.0), bar("FCO2.DE", 5, 71.0),
        bar("KAU25", 4, 9000.0), bar("KAU25", 5, 9100.0),
        replace(bar("KAU26", 5, 1.0), volume=1.0),
    ])  # fmt: skip
    r = await api.client.get("/v1/carbon/history", params={"period": "1m"}, headers=H)
    body = r.json()
    assert body["kau_symbol"] == "KAU25"
    assert body["kau_currency"] == "KRW"
    days = [(d["date"], d["eu"], d["eu_carried"], d["kau"], d["kau_carried"]) for d in body["days"]]
    assert days == [
        ("2025-03-03", 70.0, False, None, False),
        ("2025-03-04", 70.0, True, 9000.0, False),
        ("2025-03-05", 71.0, False, 9100.0, False),
    ]
    bad = await api.client.get("/v1/carbon/history", params={"period": "2w"}, headers=H)
    assert bad.status_code == 422
