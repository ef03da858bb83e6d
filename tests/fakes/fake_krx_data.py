"""A real HTTP server on 127.0.0.1 playing KRX's public data as shared/SOURCES.md documents it:

- section 9: the listing CSV per business day, `GET /data/listing/krx/{YYYY-MM-DD}.csv` with the columns
  `Code, Name, Market, Dept, Close, ..., MarketId`; a day without a file answers 404;
- section 8.1: `POST /comm/bldAttendant/getJsonData.cmd` (form `bld=dbms/MDC/STAT/standard/MDCSTAT02302`,
  `isuCd` = ISIN, `strtDd`, `endDd`, `trdVolVal` 1 volume / 2 value, `askBid=3` net) answering
  `{"output": [{"TRD_DD": "2026/12/04", "TRDVAL1".."TRDVAL4", "TRDVAL_TOT"}]}` with comma strings
  (1 = institutions, 2 = other corporations, 3 = individuals, 4 = foreigners); `LOGOUT` with HTTP 400
  without a session;
- section 8.1's member login: `GET /contents/MDC/COMS/client/MDCCOMS001.cmd` and `.../view/login.jsp`
  hand out a JSESSIONID, `POST .../MDCCOMS001D1.cmd` (form `mbrId`, `pw`, `skipDup`) answers
  `{"_error_code": "CD001"}` and a new JSESSIONID for a member in `members`, CD011 once when
  `duplicate` is set (until sent with `skipDup=Y`), CD010 for a member in `expired_pw`, CD002 otherwise.
  With `logged_in=True` (the default) the data answers without a session; with False only requests
  carrying a JSESSIONID the login issued (`expire_sessions()` ends them all).

Failures are queued with `fail(kind, times)`: '5xx', '429', 'malformed' (cut-off body), 'html'.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from collections import Counter
from datetime import date
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

from tests.fakes.local_http import LocalHttp

COLUMNS = ["Code", "Name", "Market", "Dept", "Close", "ChangeCode", "Changes", "ChagesRatio", "Open",
           "High", "Low", "Volume", "Amount", "Marcap", "Stocks", "MarketId"]  # fmt: skip
MARKET_IDS = {"KOSPI": "STK", "KOSDAQ": "KSQ", "KONEX": "KNX"}


def listing_csv(rows: list[tuple[str, str, str]]) -> bytes:
    """The CSV of (code, name, market) rows, the other columns filled as FDR's cache fills them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for k, (code, name, market) in enumerate(rows):
        writer.writerow([code, name, market, "", 10_000 + k, 1, 0, 0.0, 10_000, 10_100, 9_900, 1000,
                         10_000_000, 10**11, 10**7, MARKET_IDS.get(market, "STK")])  # fmt: skip
    return out.getvalue().encode("utf-8")


class FakeKrxData(LocalHttp):
    def __init__(self) -> None:
        self.listings: dict[date, bytes] = {}
        self.flows: dict[str, list[dict[str, str]]] = {}  # ISIN -> rows of net value, newest first
        self.logged_in = True
        self.members: dict[str, str] = {}  # member id -> password
        self.expired_pw: set[str] = set()
        self.duplicate = False
        self.sessions: set[str] = set()
        self.logins: list[dict[str, str]] = []  # the login forms received
        self.failures: list[str] = []
        self.calls: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._sid = self._new_sid = ""  # the request's session, and one to hand out
        self._lock = threading.Lock()  # one request at a time

    def set_listing(self, day: date, rows: list[tuple[str, str, str]]) -> None:
        self.listings[day] = listing_csv(rows)

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def fail(self, kind: str, times: int = 1) -> None:
        self.failures.extend([kind] * times)

    def _handle(self, req: BaseHTTPRequestHandler, body: bytes | None) -> None:
        with self._lock:
            path = urlparse(req.path).path
            self.calls[path.rsplit("/", 1)[-1] if "listing" in path else path] += 1
            cookie = SimpleCookie(req.headers.get("cookie") or "")
            self._sid = cookie["JSESSIONID"].value if "JSESSIONID" in cookie else ""
            self._new_sid = ""
            status, data, ctype = self._answer(path, body)
            req.send_response(status)
            if self._new_sid:
                req.send_header("set-cookie", f"JSESSIONID={self._new_sid}; Path=/")
            req.send_header("content-type", ctype)
            req.send_header("content-length", str(len(data)))
            req.end_headers()
            req.wfile.write(data)

    def _answer(self, path: str, body: bytes | None) -> tuple[int, bytes, str]:
        if self.failures:
            kind = self.failures.pop(0)
            if kind == "5xx":
                return 503, b"Service Unavailable", "text/plain"
            if kind == "429":
                return 429, b"Too Many Requests", "text/plain"
            if kind == "html":
                return 200, b"<!doctype html><html><body>maintenance</body></html>", "text/html"
            if kind == "malformed":
                return 200, b'{"output": [{"TRD_DD": "2026/12/0', "application/json"
        if path.startswith("/data/listing/krx/") and path.endswith(".csv"):
            day = date.fromisoformat(path.rsplit("/", 1)[-1][:-4])
            data = self.listings.get(day)
            return (404, b"404: Not Found", "text/plain") if data is None else (200, data, "text/csv")
        if path == "/comm/bldAttendant/getJsonData.cmd":
            return self._flows(parse_qs((body or b"").decode()))
        if path in ("/contents/MDC/COMS/client/MDCCOMS001.cmd", "/contents/MDC/COMS/client/view/login.jsp"):
            self._new_sid = self._sid or f"anon-{next(self._ids)}"
            return 200, b"<!doctype html><html><body>login</body></html>", "text/html"
        if path == "/contents/MDC/COMS/client/MDCCOMS001D1.cmd":
            return self._login({k: v[0] for k, v in parse_qs((body or b"").decode()).items()})
        return 404, b"404: Not Found", "text/plain"

    def _login(self, form: dict[str, str]) -> tuple[int, bytes, str]:
        self.logins.append(form)
        member, pw = form.get("mbrId", ""), form.get("pw", "")
        if self.members.get(member) != pw or not self._sid:  # a login needs the page's session first
            code = "CD002"
        elif member in self.expired_pw:
            code = "CD010"
        elif self.duplicate and form.get("skipDup") != "Y":
            code = "CD011"
        else:
            code = "CD001"
            self._new_sid = f"member-{next(self._ids)}"
            self.sessions.add(self._new_sid)
        return 200, json.dumps({"_error_code": code}).encode(), "application/json"

    def _flows(self, form: dict[str, list[str]]) -> tuple[int, bytes, str]:
        if not self.logged_in and self._sid not in self.sessions:
            return 400, b"LOGOUT", "text/html"
        q = {k: v[0] for k, v in form.items()}
        if q.get("bld") != "dbms/MDC/STAT/standard/MDCSTAT02302" or q.get("askBid") != "3":
            return 200, json.dumps({"output": []}).encode(), "application/json"
        rows = [
            r for r in self.flows.get(q.get("isuCd", ""), [])
            if q.get("strtDd", "") <= r["TRD_DD"].replace("/", "") <= q.get("endDd", "99999999")
        ]  # fmt: skip
        if q.get("trdVolVal") == "1":  # volumes: the fake's values / 1,000 (any consistent figure)
            rows = [{k: (_scale(v) if k.startswith("TRDVAL") else v) for k, v in r.items()} for r in rows]
        return 200, json.dumps({"output": rows}, ensure_ascii=False).encode(), "application/json"


def _scale(text: str) -> str:
    return f"{int(text.replace(',', '')) // 1000:,}"
