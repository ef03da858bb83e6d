"""A real HTTP server on 127.0.0.1 (random port) playing the KIS Open API as shared/SOURCES.md section 7
documents it: token issuance (`/oauth2/tokenP`, at most one issuance per `token_gap_s`: `EGW00133`), the
per-appkey request limit in any one-second window (HTTP 500 `EGW00201`), expired tokens (`EGW00123`),
minute bars today (30 rows a call) and past days (120 a call) paged by `FID_INPUT_HOUR_1`, daily bars
(100 a call), the current price, and investor flows paged by the `tr_cont` header. Non-trading days
answer empty. Failures are switchable: malformed bodies, 5xx. Usable from tests and benches::

    with FakeKis(rate_per_s=20) as kis:
        settings = load_settings(**kis.settings_overrides())

Prices are a deterministic random walk per (code, day), so two runs see the same bars.
"""

from __future__ import annotations

import functools
import json
import random
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from tests.fakes.local_http import LocalHttp

KST = ZoneInfo("Asia/Seoul")
APP_KEY = "test-kis-appkey"
APP_SECRET = "test-kis-appsecret"


def session_minutes() -> list[str]:
    """HHMMSS labels of one regular session: 09:00..15:19 continuous, then the 15:30 closing auction."""
    out = []
    t = datetime(2000, 1, 1, 9, 0)
    while t.strftime("%H%M") < "1520":
        out.append(t.strftime("%H%M00"))
        t += timedelta(minutes=1)
    return [*out, "153000"]


MINUTES = session_minutes()


@functools.cache
def minute_rows(code: str, day: date) -> list[dict[str, str]]:
    """Every minute row of one session, newest first, as KIS sends them (numbers as strings)."""
    rng = random.Random(f"{code}:{day.isoformat()}")
    price = 10_000 + (int(code) % 90) * 1_000 if code.isdigit() else 50_000
    rows = []
    for hhmmss in MINUTES:
        o = price
        c = max(100, round(o * (1 + rng.gauss(0, 0.002)) / 10) * 10)
        h, lo = max(o, c) + 10 * rng.randint(0, 3), min(o, c) - 10 * rng.randint(0, 3)
        rows.append({
            "stck_bsop_date": day.strftime("%Y%m%d"), "stck_cntg_hour": hhmmss, "stck_prpr": str(c),
            "stck_oprc": str(o), "stck_hgpr": str(h), "stck_lwpr": str(lo),
            "cntg_vol": str(rng.randint(100, 5000)), "acml_tr_pbmn": "0",
        })  # fmt: skip
        price = c
    return rows[::-1]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up are normal here


class FakeKis(LocalHttp):
    server_class = _Server

    def __init__(
        self,
        *,
        rate_per_s: float = 20.0,
        token_gap_s: float = 60.0,
        holidays: frozenset[date] = frozenset(),
        now: Callable[[], datetime] | None = None,
        latency_s: float = 0.0,
    ) -> None:
        self.rate_per_s = rate_per_s
        self.token_gap_s = token_gap_s
        self.holidays = holidays
        self.now = now or (lambda: datetime.now(UTC))
        self.latency_s = latency_s
        self.tokens: dict[str, datetime] = {}  # token -> expiry (UTC)
        self.expired: set[str] = set()
        self.issued = 0
        self.refused_tokens = 0
        self.over_limit = 0
        self.calls: Counter[str] = Counter()  # tr_id -> answered calls
        self.failures: deque[tuple[str, str]] = deque()  # (tr_id or "*", kind: malformed|5xx)
        self.down_after: int | None = None  # answer 5xx to every quotation call after this many
        self.paths: dict[tuple[str, date], list[dict[str, str]]] = {}
        self.approval_keys = 0  # constructed sessions (newest first)
        self.halted: set[str] = set()  # codes whose current price says temp_stop_yn = "Y"
        # code -> K: foreigners and institutions net buy in the last K sessions and both sell before
        self.net_buyers: dict[str, int] = {}
        self._window: deque[float] = deque()
        self._last_issue = -1e9
        self._lock = threading.Lock()

    # ---- lifecycle ---------------------------------------------------------------------------

    def settings_overrides(self, **extra: Any) -> dict[str, Any]:
        return {"kis_base_url": self.url, "kis_app_key": APP_KEY, "kis_app_secret": APP_SECRET, **extra}

    # ---- controls ------------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        with self._lock:
            self.expired.update(self.tokens)
            self.tokens.clear()

    def fail(self, kind: str, *, tr_id: str = "*", times: int = 1) -> None:
        self.failures.extend([(tr_id, kind)] * times)

    # ---- handling ------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, body: bytes | None) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)
        url = urlparse(req.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path == "/_stats":  # for benches that run the stand-in in a process of its own
            stats = {"calls": sum(self.calls.values()), "over_limit": self.over_limit, "issued": self.issued}
            status, payload, headers = 200, stats, {}
        elif url.path == "/oauth2/tokenP":
            status, payload, headers = self._token(body or b"{}")
        elif url.path == "/oauth2/Approval":  # the WebSocket approval key (field `secretkey`)
            sent = json.loads(body or b"{}")
            ok = sent.get("appkey") == APP_KEY and sent.get("secretkey") == APP_SECRET
            self.approval_keys += 1 if ok else 0
            status, headers = (200, {}) if ok else (403, {})
            payload = {"approval_key": f"approval-{self.approval_keys}"} if ok else {"error_code": "EGW00103"}
        else:
            status, payload, headers = self._quote(req, url.path, query)
        data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        req.send_response(status)
        ctype = "text/html" if isinstance(payload, bytes) else "application/json; charset=utf-8"
        req.send_header("content-type", ctype)
        for k, v in headers.items():
            req.send_header(k, v)
        req.send_header("content-length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _token(self, body: bytes) -> tuple[int, Any, dict[str, str]]:
        try:
            sent = json.loads(body)
        except ValueError:
            sent = {}
        if sent.get("appkey") != APP_KEY or sent.get("appsecret") != APP_SECRET:
            return 403, {"error_code": "EGW00103", "error_description": "유효하지 않은 AppKey입니다."}, {}
        with self._lock:
            mono = time.monotonic()
            if mono - self._last_issue < self.token_gap_s:
                self.refused_tokens += 1
                msg = "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"
                return 403, {"error_code": "EGW00133", "error_description": msg}, {}
            self._last_issue = mono
            self.issued += 1
            token = "eyJ" + secrets.token_urlsafe(24)
            expiry = self.now() + timedelta(days=1)
            self.tokens[token] = expiry
        stated = expiry.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")
        answer = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 86400,
            "access_token_token_expired": stated,
        }
        return 200, answer, {}

    def _limited(self) -> bool:
        with self._lock:
            mono = time.monotonic()
            while self._window and mono - self._window[0] >= 1.0:
                self._window.popleft()
            if len(self._window) >= self.rate_per_s:
                self.over_limit += 1
                return True
            self._window.append(mono)
            return False

    def _quote(
        self, req: BaseHTTPRequestHandler, path: str, q: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        tr_id = req.headers.get("tr_id", "")
        if self._limited():
            return 500, {"rt_cd": "1", "msg_cd": "EGW00201", "msg1": "초당 거래건수를 초과하였습니다."}, {}
        token = (req.headers.get("authorization") or "").removeprefix("Bearer ")
        with self._lock:
            if token in self.expired:
                return 500, {"rt_cd": "1", "msg_cd": "EGW00123", "msg1": "기간이 만료된 token 입니다."}, {}
            if token not in self.tokens or req.headers.get("appkey") != APP_KEY:
                return 500, {"rt_cd": "1", "msg_cd": "EGW00121", "msg1": "유효하지 않은 token 입니다."}, {}
            failure = next((f for f in self.failures if f[0] in ("*", tr_id)), None)
            if failure:
                self.failures.remove(failure)
        if self.down_after is not None and sum(self.calls.values()) >= self.down_after:
            return 503, b"<html>Service Unavailable</html>", {}
        if failure and failure[1] == "5xx":
            return 502, b"<html>Bad Gateway</html>", {}
        if failure and failure[1] == "malformed":
            return 200, {"rt_cd": "0", "msg_cd": "MCA00000", "output2": "oops"}, {}
        self.calls[tr_id] += 1
        handler = {
            "FHKST03010200": self._today_minutes, "FHKST03010230": self._past_minutes,
            "FHKST03010100": self._daily, "FHKST01010100": self._price, "FHKST01010900": self._investor,
            "FHKST121600C0": self._etf,
        }.get(tr_id)  # fmt: skip
        if handler is None:
            return 500, {"rt_cd": "1", "msg_cd": "OPSQ0002", "msg1": "없는 서비스 코드 입니다"}, {}
        return handler(q, req.headers.get("tr_cont", ""))

    def _trading(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def _ok(self, **parts: Any) -> dict[str, Any]:
        return {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다.", **parts}

    def rows(self, code: str, day: date) -> list[dict[str, str]]:
        """A session's minute rows, newest first: a constructed path if one was set, else the walk."""
        return self.paths.get((code, day)) or minute_rows(code, day)

    def _minutes(self, code: str, day: date, before: str, page: int) -> list[dict[str, str]]:
        rows = self.rows(code, day) if self._trading(day) else []
        return [r for r in rows if r["stck_cntg_hour"] <= before][:page]

    def _past_minutes(self, q: dict[str, str], _cont: str) -> tuple[int, Any, dict[str, str]]:
        day = datetime.strptime(q["FID_INPUT_DATE_1"], "%Y%m%d").date()
        rows = self._minutes(q["FID_INPUT_ISCD"], day, q["FID_INPUT_HOUR_1"], 120)
        return 200, self._ok(output1={}, output2=rows), {}

    def _today_minutes(self, q: dict[str, str], _cont: str) -> tuple[int, Any, dict[str, str]]:
        now = self.now().astimezone(KST)
        before = min(q["FID_INPUT_HOUR_1"], now.strftime("%H%M%S"))
        rows = self._minutes(q["FID_INPUT_ISCD"], now.date(), before, 30)
        return 200, self._ok(output1={"stck_prpr": rows[0]["stck_prpr"] if rows else "0"}, output2=rows), {}

    def _daily(self, q: dict[str, str], _cont: str) -> tuple[int, Any, dict[str, str]]:
        lo = datetime.strptime(q["FID_INPUT_DATE_1"], "%Y%m%d").date()
        day = datetime.strptime(q["FID_INPUT_DATE_2"], "%Y%m%d").date()
        factor = 0.5 if q.get("FID_ORG_ADJ_PRC") == "0" else 1.0  # adjusted prices: a 2:1 split since
        rows = []
        while day >= lo and len(rows) < 100:
            if self._trading(day):
                m = self.rows(q["FID_INPUT_ISCD"], day)
                c = float(m[0]["stck_prpr"]) * factor
                rows.append({
                    "stck_bsop_date": day.strftime("%Y%m%d"), "stck_clpr": f"{c:g}",
                    "stck_oprc": f"{float(m[-1]['stck_oprc']) * factor:g}",
                    "stck_hgpr": f"{max(float(r['stck_hgpr']) for r in m) * factor:g}",
                    "stck_lwpr": f"{min(float(r['stck_lwpr']) for r in m) * factor:g}",
                    "acml_vol": str(sum(int(r["cntg_vol"]) for r in m)), "mod_yn": "N",
                })  # fmt: skip
            day -= timedelta(days=1)
        return 200, self._ok(output1={}, output2=rows), {}

    def _price(self, q: dict[str, str], _cont: str) -> tuple[int, Any, dict[str, str]]:
        day = self.now().astimezone(KST).date()
        rows = self.rows(q["FID_INPUT_ISCD"], day)
        out = {"stck_prpr": rows[0]["stck_prpr"], "prdy_vrss": "-500", "prdy_ctrt": "-0.6",
               "acml_vol": "123456", "stck_oprc": rows[-1]["stck_oprc"], "stck_hgpr": rows[0]["stck_hgpr"],
               "stck_lwpr": rows[0]["stck_lwpr"],
               "temp_stop_yn": "Y" if q["FID_INPUT_ISCD"] in self.halted else "N"}  # fmt: skip
        return 200, self._ok(output=out), {}

    def _etf(self, q: dict[str, str], _cont: str) -> tuple[int, Any, dict[str, str]]:
        """Ten holdings; the weights drift day to day and one member is swapped each day (by the day's
        ordinal), plus a cash line without a code that a client must skip."""
        day = self.now().astimezone(KST).date()
        pool = [("005930", "삼성전자"), ("000660", "SK하이닉스"), ("373220", "LG에너지솔루션"),
                ("207940", "삼성바이오로직스"), ("005380", "현대차"), ("000270", "기아"),
                ("068270", "셀트리온"), ("005490", "POSCO홀딩스"), ("035420", "NAVER"),
                ("105560", "KB금융"), ("055550", "신한지주")]  # fmt: skip
        out = day.toordinal() % 3 + 8  # one of the last three sits out each day
        members = [m for i, m in enumerate(pool) if i != out]
        rng = random.Random(f"etf:{q['FID_INPUT_ISCD']}:{day}")
        raw = [30.0 / (i + 1) + rng.uniform(0, 0.5) for i in range(len(members))]
        scale = 97.0 / sum(raw)
        rows = [
            {"stck_shrn_iscd": code, "hts_kor_isnm": name, "stck_prpr": "70000",
             "etf_cnfg_issu_rlim": f"{w * scale:.2f}", "etf_vltn_amt": str(round(w * scale * 1e9))}
            for (code, name), w in zip(members, raw, strict=True)
        ]  # fmt: skip
        rows.append({"stck_shrn_iscd": "", "hts_kor_isnm": "원화현금", "etf_cnfg_issu_rlim": "3.00"})
        return 200, self._ok(output1={"stck_prpr": "35000"}, output2=rows), {}

    def _investor(self, q: dict[str, str], cont: str) -> tuple[int, Any, dict[str, str]]:
        now = self.now().astimezone(KST)  # a session's flows are published after its close (15:30)
        day = now.date() - timedelta(days=0 if (now.hour, now.minute) >= (15, 30) else 1)
        rows: list[dict[str, str]] = []
        while len(rows) < 30:
            if self._trading(day):
                rng = random.Random(f"inv:{q['FID_INPUT_ISCD']}:{day}")
                close = int(minute_rows(q["FID_INPUT_ISCD"], day)[0]["stck_prpr"])
                row = {"stck_bsop_date": day.strftime("%Y%m%d"), "stck_clpr": str(close), "prdy_vrss": "0"}
                net = {w: rng.randint(-50_000, 50_000) for w in ("frgn", "orgn")}
                k = self.net_buyers.get(q["FID_INPUT_ISCD"])
                if k is not None and len(rows) <= k:
                    sign = 1 if len(rows) < k else -1
                    net = {w: sign * (abs(v) + 1) for w, v in net.items()}
                net["prsn"] = -net["frgn"] - net["orgn"]
                for who, qty in net.items():
                    row[f"{who}_ntby_qty"] = str(qty)
                    row[f"{who}_ntby_tr_pbmn"] = str(round(qty * close / 1e6))  # millions of KRW
                rows.append(row)
            day -= timedelta(days=1)
        first = cont != "N"
        page = rows[:15] if first else rows[15:]
        return 200, self._ok(output=page), {"tr_cont": "M" if first else "D"}


def main() -> None:
    """`python -m tests.fakes.fake_kis --rate 20 --latency 0.03 --start ISO`: serve in a process of its
    own (so that the stand-in does not share the client's interpreter lock in a bench), with the clock
    starting at `--start` and running in real time; prints the URL, serves until stdin closes."""
    import argparse
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--start", required=True)
    args = parser.parse_args()
    start, t0 = datetime.fromisoformat(args.start), time.monotonic()
    with FakeKis(
        rate_per_s=args.rate,
        latency_s=args.latency,
        now=lambda: start + timedelta(seconds=time.monotonic() - t0),
    ) as kis:
        print(kis.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
