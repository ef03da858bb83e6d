"""A real HTTP server on 127.0.0.1 (random port) playing Yahoo chart v8, KRX ets_bydd_trd, Alpha
Vantage and EEX, with failures switchable per route. Reusable by any test or bench::

    with FakeSources(latency_s=0.0) as fake:
        fake.add_yahoo("AAPL", rows)                        # rows: source_payloads.Row list
        fake.fail("yahoo", Failure.RATE_LIMIT, times=2)     # next 2 Yahoo requests answer 429
        settings = load_settings(**fake.settings_overrides())

Routes: 'yahoo', 'krx', 'alphavantage', 'eex'. Failures: see `Failure`. `requests` records every
request (route, path, query, headers) for assertions. Runs in a daemon thread: usable from sync and
async tests alike.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.source_payloads import (
    AV_ERROR,
    AV_INFORMATION,
    AV_NOTE,
    Row,
    av_daily,
    yahoo_chart,
    yahoo_not_found,
)

KRX_KEY = "test-krx-key"
AV_KEY = "test-av-key"
ROUTES = {
    "yahoo": "/v8/finance/chart/",
    "krx": "/svc/apis/gen/ets_bydd_trd",
    "alphavantage": "/query",
    "eex": "/eex/eua-auction-report/",
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, cancelled requests) are normal here; others are printed."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Failure(StrEnum):
    RATE_LIMIT = "429"  # HTTP 429 with Retry-After: 0
    UNAUTHORIZED = "401"
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    SERVER_ERROR = "500"
    SLOW = "slow"  # sleeps `slow_s` before answering normally (client timeouts)
    HTML = "html"  # HTTP 200 text/html consent/maintenance page
    TRUNCATED = "truncated"  # the normal body cut in half
    EMPTY = "empty"  # an empty result in the route's own format
    AV_INFORMATION = "av_information"  # Alpha Vantage daily-quota payload on HTTP 200
    AV_NOTE = "av_note"  # the legacy per-minute payload
    AV_ERROR = "av_error"  # `Error Message` (invalid call/symbol)


@dataclass
class Recorded:
    route: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class _Rule:
    failure: Failure
    times: int | None
    match: str | None


@dataclass
class FakeSources:
    latency_s: float = 0.0
    slow_s: float = 2.0
    krx_key: str = KRX_KEY
    av_key: str = AV_KEY
    yahoo: dict[str, dict[str, Any]] = field(default_factory=dict)  # ticker -> spec
    krx: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # YYYYMMDD -> rows
    av: dict[str, dict[str, Any]] = field(default_factory=dict)  # symbol -> payload
    eex: dict[int, bytes] = field(default_factory=dict)  # year -> xlsx bytes
    requests: list[Recorded] = field(default_factory=list)
    inflight: int = 0
    max_inflight: int = 0  # the most requests served at the same time
    _rules: dict[str, list[_Rule]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeSources:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSources:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def settings_overrides(self) -> dict[str, Any]:
        """Keyword arguments for core.settings.load_settings pointing every source here."""
        return {
            "yahoo_base_url": self.url,
            "krx_base_url": self.url,
            "alphavantage_base_url": self.url,
            "eex_base_url": self.url,
            "krx_auth_key": self.krx_key,
            "alphavantage_key": self.av_key,
        }

    # ---- data -----------------------------------------------------------------------------

    def add_yahoo(
        self,
        ticker: str,
        rows: Iterable[Row],
        *,
        tz: str = "America/New_York",
        splits: Iterable[tuple[date, int, int]] = (),
        dividends: Iterable[tuple[date, float]] = (),
        currency: str = "USD",
    ) -> None:
        self.yahoo[ticker] = {
            "rows": list(rows),
            "tz": tz,
            "splits": list(splits),
            "dividends": list(dividends),
            "currency": currency,
        }

    def add_krx(self, day: date, rows: Iterable[dict[str, str]]) -> None:
        self.krx.setdefault(day.strftime("%Y%m%d"), []).extend(rows)

    def add_av(self, symbol: str, rows: Iterable[Row]) -> None:
        self.av[symbol] = av_daily(symbol, rows)

    def add_eex(self, year: int, content: bytes) -> None:
        self.eex[year] = content

    # ---- failures -------------------------------------------------------------------------

    def fail(
        self, route: str, failure: Failure, *, times: int | None = None, match: str | None = None
    ) -> None:
        """Make `route` answer with `failure` (the next `times` requests, or until cleared); `match`
        limits it to requests whose path or query contains that text (e.g. one ticker)."""
        assert route in ROUTES, route
        with self._lock:
            self._rules.setdefault(route, []).append(_Rule(failure, times, match))

    def clear_failures(self, route: str | None = None) -> None:
        with self._lock:
            if route is None:
                self._rules.clear()
            else:
                self._rules.pop(route, None)

    def count(self, route: str) -> int:
        return sum(1 for r in self.requests if r.route == route)

    # ---- serving --------------------------------------------------------------------------

    def _rule(self, route: str, target: str) -> Failure | None:
        with self._lock:
            for rule in self._rules.get(route, []):
                if rule.match and rule.match not in target:
                    continue
                if rule.times is not None:
                    if rule.times <= 0:
                        continue
                    rule.times -= 1
                return rule.failure
        return None

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(req.path)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        route = next((name for name, prefix in ROUTES.items() if parsed.path.startswith(prefix)), "")
        with self._lock:
            self.requests.append(Recorded(route, parsed.path, query, dict(req.headers.items())))
        with self._lock:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            self._respond(req, parsed.path, query, route)
        finally:
            with self._lock:
                self.inflight -= 1

    def _respond(self, req: BaseHTTPRequestHandler, path: str, query: dict[str, str], route: str) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)
        failure = self._rule(route, req.path) if route else None
        if failure == Failure.SLOW:
            time.sleep(self.slow_s)
            failure = None
        if failure in (
            Failure.RATE_LIMIT,
            Failure.UNAUTHORIZED,
            Failure.FORBIDDEN,
            Failure.NOT_FOUND,
            Failure.SERVER_ERROR,
        ):
            body = json.dumps({"error": failure.name}).encode()
            headers = {"Retry-After": "0"} if failure == Failure.RATE_LIMIT else {}
            self._send(req, int(failure.value), body, "application/json", headers)
            return
        if failure == Failure.HTML:
            page = (
                b"<!DOCTYPE html><html><head><title>Will be right back</title></head><body>...</body></html>"
            )
            self._send(req, 200, page, "text/html; charset=utf-8")
            return
        if not route:
            self._send(req, 404, b"not found", "text/plain")
            return
        status, body, ctype = getattr(self, f"_{route}")(path, query, req, failure)
        if failure == Failure.TRUNCATED:
            body = body[: max(1, len(body) // 2)]
        self._send(req, status, body, ctype)

    @staticmethod
    def _send(
        req: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        ctype: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            req.send_response(status)
            req.send_header("Content-Type", ctype)
            req.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                req.send_header(k, v)
            req.end_headers()
            req.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def _yahoo(
        self, path: str, q: dict[str, str], _req: Any, failure: Failure | None
    ) -> tuple[int, bytes, str]:
        ticker = path.rsplit("/", 1)[-1]
        spec = self.yahoo.get(ticker)
        if spec is None:
            return 404, json.dumps(yahoo_not_found(ticker)).encode(), "application/json"
        rows: list[Row] = spec["rows"]
        if failure == Failure.EMPTY:
            rows = []
        elif "range" in q:
            rows = rows[-5:]
        else:
            lo = datetime.fromtimestamp(int(q.get("period1", "0")), UTC).date()
            hi = datetime.fromtimestamp(int(q.get("period2", "9999999999")), UTC).date()
            rows = [r for r in rows if lo <= r.day < hi]
        splits = [s for s in spec["splits"] if any(r.day == s[0] for r in rows)]
        divs = [d for d in spec["dividends"] if any(r.day == d[0] for r in rows)]
        payload = yahoo_chart(
            ticker, rows, tz=spec["tz"], splits=splits, dividends=divs, currency=spec["currency"]
        )
        return 200, json.dumps(payload).encode(), "application/json;charset=utf-8"

    def _krx(
        self, _path: str, q: dict[str, str], req: Any, failure: Failure | None
    ) -> tuple[int, bytes, str]:
        if req.headers.get("AUTH_KEY") != self.krx_key:
            return 401, b'{"respMsg":"Unauthorized Key","respCode":"401"}', "application/json"
        rows = [] if failure == Failure.EMPTY else self.krx.get(q.get("basDd", ""), [])
        return 200, json.dumps({"OutBlock_1": rows}, ensure_ascii=False).encode(), "application/json"

    def _alphavantage(
        self, _p: str, q: dict[str, str], _r: Any, failure: Failure | None
    ) -> tuple[int, bytes, str]:
        payload: dict[str, Any]
        if failure == Failure.AV_INFORMATION:
            payload = {"Information": AV_INFORMATION}
        elif failure == Failure.AV_NOTE:
            payload = {"Note": AV_NOTE}
        elif failure == Failure.AV_ERROR or q.get("symbol") not in self.av:
            payload = {"Error Message": AV_ERROR}
        elif q.get("apikey") != self.av_key:
            payload = {"Error Message": "the parameter apikey is invalid or missing."}
        elif failure == Failure.EMPTY:
            payload = {"Meta Data": {}, "Time Series (Daily)": {}}
        else:
            payload = self.av[q["symbol"]]
        return 200, json.dumps(payload).encode(), "application/json"

    def _eex(self, path: str, _q: dict[str, str], _r: Any, failure: Failure | None) -> tuple[int, bytes, str]:
        digits = "".join(ch for ch in path.rsplit("-report-", 1)[-1] if ch.isdigit())[:4]
        content = self.eex.get(int(digits)) if digits else None
        if content is None:
            return 404, b"<html>404 Not Found</html>", "text/html"
        if failure == Failure.EMPTY:
            content = b""
        return 200, content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
