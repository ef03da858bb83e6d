"""A real HTTP server on 127.0.0.1 playing Yahoo chart v8 (1mo), FRED observations, ECB SDMX-JSON,
Binance klines and OilPriceAPI, in the payload shapes of ../shared/SOURCES.md, with failures queued
per route. Values are a pure function of (series, month), so a test can compute what must be stored.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from fundflow.catalogue import add_months

FRED_KEY = "f" * 32
OIL_KEY = "opa_live_test"
NY = ZoneInfo("America/New_York")
FIRST = date(2014, 1, 1)  # the stand-ins hold data from here


def value(series: str, month: date) -> float:
    idx = (month.year - 2000) * 12 + month.month
    base = sum(map(ord, series)) % 50 + 50
    return round(base * (1 + 0.01 * ((idx * 7) % 11 - 5)), 4)


def volume(series: str, month: date) -> float:
    return float(1000 + (month.year * 12 + month.month) % 97 + sum(map(ord, series)) % 13)


def months(start: date, end: date) -> list[date]:
    out, cur = [], max(start, FIRST)
    while cur <= end:
        out.append(cur)
        cur = add_months(cur, 1)
    return out


def _month(ts_s: float) -> date:
    d = datetime.fromtimestamp(ts_s, UTC).date()
    return date(d.year, d.month, 1)


@dataclass
class Recorded:
    route: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeFlows:
    latency_s: float = 0.0
    requests: list[Recorded] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)  # route -> queue of "429", "500", "garbage"
    now: date = field(default_factory=lambda: datetime.now(UTC).date())
    # route -> (requests per second, burst): a token bucket; over it the answer is 429 + Retry-After
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    limited: dict[str, int] = field(default_factory=dict)  # route -> 429s answered for the limit
    empty: set[tuple[str, date]] = field(default_factory=set)  # (Yahoo ticker, month) served as null
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # route -> (tokens, at)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _over_limit(self, route: str) -> float:
        """0 when the request may pass (a token taken), else the seconds until the next token."""
        if route not in self.limits:
            return 0.0
        rate, burst = self.limits[route]
        with self._lock:
            now = time.monotonic()
            tokens, at = self._buckets.get(route, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens >= 1.0:
                self._buckets[route] = (tokens - 1.0, now)
                return 0.0
            self._buckets[route] = (tokens, now)
            self.limited[route] = self.limited.get(route, 0) + 1
            return (1.0 - tokens) / rate

    def fail(self, route: str, kind: str, times: int = 1) -> None:
        self.failures.setdefault(route, []).extend([kind] * times)

    def count(self, route: str, contains: str = "") -> int:
        return sum(1 for r in self.requests if r.route == route and contains in r.path + json.dumps(r.query))

    def settings_overrides(self) -> dict[str, Any]:
        base = f"http://127.0.0.1:{self.port}"
        return {
            "yahoo_base_url": base,
            "fred_base_url": base,
            "ecb_base_url": base,
            "binance_base_url": base,
            "oilprice_base_url": base,
            "fred_key": FRED_KEY,
            "oilprice_key": OIL_KEY,
            "market_retry_base_s": 0.01,
            "market_retry_max_s": 0.05,
            "yahoo_rate_per_s": 1000.0,
            "fred_rate_per_s": 1000.0,
            "ecb_rate_per_s": 1000.0,
            "binance_rate_per_s": 1000.0,
            "oilprice_rate_per_s": 1000.0,
        }

    def env(self) -> dict[str, str]:
        return {f"FINSIGNAL_{k.upper()}": str(v) for k, v in self.settings_overrides().items()}

    def __enter__(self) -> FakeFlows:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- routing ----------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        route = self._route(url.path)
        self.requests.append(Recorded(route, url.path, q, {k.lower(): v for k, v in h.headers.items()}))
        if self.latency_s:
            time.sleep(self.latency_s)
        wait = self._over_limit(route)
        if wait:
            retry = {"Retry-After": str(max(1, math.ceil(wait)))}
            return self._send(h, 429, {"code": -1003, "msg": "Too many requests"}, retry)
        queue = self.failures.get(route) or []
        kind = queue.pop(0) if queue else ""
        if kind == "429":
            return self._send(
                h, 429, {"code": -1003, "msg": "Too much request weight used"}, {"Retry-After": "0"}
            )
        if kind == "500":
            return self._send(h, 500, {"error": "server"})
        if kind == "garbage":
            return self._send(h, 200, {"unexpected": True})
        status, body, headers = getattr(self, f"_{route}")(url.path, q, h.headers)
        self._send(h, status, body, headers)
        return None

    def _route(self, path: str) -> str:
        if path.startswith("/v8/finance/chart/"):
            return "yahoo"
        if path.startswith("/fred/"):
            return "fred"
        if path.startswith("/service/data/EXR/"):
            return "ecb"
        if path.startswith("/api/v3/klines"):
            return "binance"
        return "oilprice"

    def _send(
        self, h: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    # --- payloads -------------------------------------------------------------------------------
    def _yahoo(self, path: str, q: dict[str, str], _: Any) -> tuple[int, Any, dict[str, str]]:
        ticker = path.rsplit("/", 1)[1]
        if ticker.startswith("NOPE"):
            return (
                404,
                {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found"}}},
                {},
            )
        start, end = _month(int(q["period1"])), _month(int(q["period2"]) - 1)
        ms = months(start, min(end, date(self.now.year, self.now.month, 1)))
        stamps = [int(datetime(m.year, m.month, 1, tzinfo=NY).timestamp()) for m in ms]
        quote = {
            "close": [None if (ticker, m) in self.empty else value(ticker, m) for m in ms],
            "volume": [0 if ticker.endswith("=X") else int(volume(ticker, m)) for m in ms],
        }
        result = {
            "meta": {"symbol": ticker, "exchangeTimezoneName": "America/New_York"},
            "timestamp": stamps,
            "indicators": {"quote": [quote]},
        }
        return 200, {"chart": {"result": [result], "error": None}}, {}

    def _fred(self, path: str, q: dict[str, str], _: Any) -> tuple[int, Any, dict[str, str]]:
        if q.get("api_key") != FRED_KEY:
            return (
                400,
                {
                    "error_code": 400,
                    "error_message": "Bad Request.  The value for variable api_key is not registered.",
                },
                {},
            )
        sid = q["series_id"]
        ms = months(date.fromisoformat(q["observation_start"]), date.fromisoformat(q["observation_end"]))
        ms = [m for m in ms if m < date(self.now.year, self.now.month, 1)]
        obs = [
            {
                "realtime_start": "2026-01-05",
                "realtime_end": "2026-01-05",
                "date": m.isoformat(),
                "value": "." if m.month == 7 and m.year == 2020 else f"{value(sid, m) / 20:.4f}",
            }
            for m in ms
        ]
        return 200, {"units": "lin", "file_type": "json", "count": len(obs), "observations": obs}, {}

    def _ecb(self, path: str, q: dict[str, str], _: Any) -> tuple[int, Any, dict[str, str]]:
        key = path.rsplit("/", 1)[1]  # M.USD+JPY.EUR.SP00.A
        ccys = key.split(".")[1].split("+")
        ms = months(date.fromisoformat(q["startPeriod"] + "-01"), date.fromisoformat(q["endPeriod"] + "-01"))
        ms = [m for m in ms if m < date(self.now.year, self.now.month, 1)]
        if not ms:
            return 404, {"error": "No results found"}, {}
        series = {
            f"0:{k}:0:0:0": {"observations": {str(i): [ecb_per_eur(c, m)] for i, m in enumerate(ms)}}
            for k, c in enumerate(ccys)
        }
        structure = {
            "dimensions": {
                "series": [
                    {"id": "FREQ", "values": [{"id": "M"}]},
                    {"id": "CURRENCY", "values": [{"id": c} for c in ccys]},
                ],
                "observation": [{"id": "TIME_PERIOD", "values": [{"id": f"{m:%Y-%m}"} for m in ms]}],
            }
        }
        return 200, {"dataSets": [{"series": series}], "structure": structure}, {}

    def _binance(self, path: str, q: dict[str, str], _: Any) -> tuple[int, Any, dict[str, str]]:
        sym = q["symbol"]
        if sym == "NOPEUSDT":
            return 400, {"code": -1121, "msg": "Invalid symbol."}, {}
        start, end = _month(int(q["startTime"]) / 1000), _month(int(q["endTime"]) / 1000)
        ms = months(start, min(end, date(self.now.year, self.now.month, 1)))[: int(q.get("limit", 500))]
        rows = []
        for m in ms:
            open_ms = int(datetime(m.year, m.month, 1, tzinfo=UTC).timestamp() * 1000)
            nxt = add_months(m, 1)
            close_ms = int(datetime(nxt.year, nxt.month, 1, tzinfo=UTC).timestamp() * 1000) - 1
            c, v = value(sym, m), volume(sym, m)
            rows.append([open_ms, "1", "2", "0.5", f"{c}", f"{v}", close_ms, f"{c * v}", 10, "0", "0", "0"])
        return 200, rows, {"X-MBX-USED-WEIGHT-1M": "2"}

    def _oilprice(self, path: str, q: dict[str, str], headers: Any) -> tuple[int, Any, dict[str, str]]:
        if headers.get("Authorization") != f"Token {OIL_KEY}":
            return 401, {"status": "fail", "error": {"code": "unauthorized", "message": "bad key"}}, {}
        code = q["by_code"]
        this = date(self.now.year, self.now.month, 1)
        ms = [add_months(this, -i) for i in range(12, 0, -1)]
        page, per = int(q.get("page", 1)), int(q.get("per_page", 100))
        chunk = ms[(page - 1) * 6 : page * 6]  # 6 per page so paging is exercised
        prices = [
            {
                "price": value(code, m),
                "formatted": "$",
                "currency": "USD",
                "code": code,
                "created_at": f"{m:%Y-%m}-15T00:00:00.000Z",
                "type": "spot_price",
            }
            for m in chunk
        ]
        assert per == 100
        return 200, {"status": "success", "data": {"prices": prices}}, {"X-Total-Pages": "2"}


def ecb_per_eur(ccy: str, month: date) -> float:
    return round(
        {"USD": 1.1, "JPY": 150.0, "CNY": 7.8, "KRW": 1450.0}.get(ccy, 2.0) * value(ccy, month) / 75, 6
    )
