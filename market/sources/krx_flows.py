"""Investor flows from KRX's public data (data.krx.co.kr), the fallback when KIS fails (issue 21).

Facts (shared/SOURCES.md section 8.1): `POST /comm/bldAttendant/getJsonData.cmd`, form-encoded, with
`bld=dbms/MDC/STAT/standard/MDCSTAT02302`, `strtDd`/`endDd` (YYYYMMDD), `isuCd` = the ISIN,
`inqTpCd=2`, `trdVolVal` 1 (volume) or 2 (value), `askBid=3` (net). The answer is `{"output": [...]}`
with `TRD_DD` ("YYYY/MM/DD") and `TRDVAL1..4` as comma strings: 1 institutions, 2 other
corporations, 3 individuals, 4 foreigners (by position). Some blds answer under `OutBlock_1` or
`block1`.

Since December 2025 the data needs a member session (section 8.1): `GET MDCCOMS001.cmd`, `GET
view/login.jsp?site=mdc`, then `POST MDCCOMS001D1.cmd` with `mbrId`, `pw` (FINSIGNAL_KRX_ID,
FINSIGNAL_KRX_PW); `_error_code` CD001 is a session (the JSESSIONID cookie, kept by the shared client's
jar), CD011 a duplicate login (sent again with `skipDup=Y`), CD010 a password KRX wants changed. The
session is renewed after 50 minutes (pykrx assumes an hour) and once when KRX answers `LOGOUT` (HTTP
400 or 404). A refused login is not tried again for 15 minutes: repeated logins are what got IPs
blocked (KRX restricts "automated mass queries"), so until then the source fails at once, naming why.
"""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from core.errors import PermanentSourceError, RateLimitedError, TransientSourceError
from core.types import Instrument, InvestorFlow
from market.http import parse_json
from market.sources.base import Source, to_float

if TYPE_CHECKING:
    from core.settings import Settings
    from core.timeutil import Clock
    from market.guard import SourceGuard

BLD = "dbms/MDC/STAT/standard/MDCSTAT02302"
PATH = "/comm/bldAttendant/getJsonData.cmd"
_HEADERS = {
    "User-Agent": "Mozilla/5.0 (finsignal)",
    "Referer": "https://data.krx.co.kr/contents/MDC/MDI/outerLoader/index.cmd",
    "X-Requested-With": "XMLHttpRequest",
}
_DAYS = 45  # calendar days asked for: about the 30 sessions KIS answers
LOGIN_PAGE = "/contents/MDC/COMS/client/MDCCOMS001.cmd"
LOGIN_JSP = "/contents/MDC/COMS/client/view/login.jsp?site=mdc"
LOGIN_POST = "/contents/MDC/COMS/client/MDCCOMS001D1.cmd"
SESSION_S = 50 * 60.0  # a session is renewed after this long
REFUSED_S = 15 * 60.0  # after a refused login, no new attempt for this long
_NEEDS_LOGIN = "data.krx.co.kr needs a member login (FINSIGNAL_KRX_ID / FINSIGNAL_KRX_PW)"


def isin(code: str) -> str:
    """The ISIN of a KRX common stock: 'KR7' + code + '00' + check digit ('005930' -> KR7005930003)."""
    body = f"KR7{code.upper()}00"
    digits = "".join(str(int(ch, 36)) for ch in body)
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if k % 2 == 0 else 1)
        total += d // 10 + d % 10
    return body + str((10 - total % 10) % 10)


class KrxFlowsSource(Source):
    name = "krx_flows"

    def __init__(
        self, settings: Settings, client: httpx.AsyncClient, guard: SourceGuard, clock: Clock
    ) -> None:
        super().__init__(settings, client, guard, clock)
        self._session_at: float | None = None  # monotonic time of the last accepted login
        self._refused: tuple[float, str] | None = None  # (until, why) after a refused login
        self._login_lock = asyncio.Lock()
        self.logins = 0  # login attempts (a figure for status and tests)

    async def investor_flows(self, instrument: Instrument) -> list[InvestorFlow]:
        """Net buying by institutions, individuals and foreigners over the last ~30 sessions, oldest first."""
        end = self.clock.now().date()
        start = end - timedelta(days=_DAYS)
        code = instrument.symbol.split(".", 1)[0]
        form = {"bld": BLD, "strtDd": f"{start:%Y%m%d}", "endDd": f"{end:%Y%m%d}", "isuCd": isin(code),
                "inqTpCd": "2", "askBid": "3"}  # fmt: skip
        values = await self.guard.call(functools.partial(self._rows, {**form, "trdVolVal": "2"}))
        volumes = await self.guard.call(functools.partial(self._rows, {**form, "trdVolVal": "1"}))
        out = []
        for day in sorted(values):
            v, q = values[day], volumes.get(day, (0.0, 0.0, 0.0))
            out.append(InvestorFlow(instrument.symbol, day, None, q[1], q[2], q[0], v[1], v[2], v[0],
                                    source=self.name))  # fmt: skip
        return out

    async def _rows(self, form: dict[str, str]) -> dict[date, tuple[float, float, float]]:
        """{day: (institutions, individuals, foreigners)} of one call."""
        member = bool(self.settings.krx_id and self.settings.krx_pw)
        if member:  # without a member login, the data is asked for as it was before December 2025
            await self._session()
        response = await self._send("POST", PATH, data=form, headers=_HEADERS)
        if _logged_out(response) and not member:
            raise PermanentSourceError(self.name, _NEEDS_LOGIN)
        if _logged_out(response):  # the session ended early: one new login, one more try
            self._session_at = None
            await self._session()
            response = await self._send("POST", PATH, data=form, headers=_HEADERS)
            if _logged_out(response):
                raise PermanentSourceError(self.name, "logged in, but data.krx.co.kr still answers LOGOUT")
        status = response.status_code
        if status == 429:
            raise RateLimitedError(self.name, "HTTP 429 Too Many Requests")
        if status >= 500:
            raise TransientSourceError(self.name, f"HTTP {status}")
        if status != 200:
            raise PermanentSourceError(self.name, f"HTTP {status}")
        return _parse(self.name, parse_json(self.name, response))

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.settings.krx_data_base_url.rstrip("/") + path
        try:
            return await self.client.request(method, url, timeout=self.settings.http_timeout_s, **kwargs)
        except httpx.TimeoutException:
            raise TransientSourceError(self.name, "timed out") from None
        except httpx.TransportError as exc:
            raise TransientSourceError(self.name, f"connection failed ({type(exc).__name__})") from None

    async def _session(self) -> None:
        """A member session no older than SESSION_S: logs in when there is none (one login at a time)."""
        if self._session_at is not None and time.monotonic() - self._session_at < SESSION_S:
            return
        async with self._login_lock:
            if self._session_at is not None and time.monotonic() - self._session_at < SESSION_S:
                return
            if self._refused is not None and time.monotonic() < self._refused[0]:
                raise PermanentSourceError(self.name, self._refused[1])
            try:
                await self._login()
            except PermanentSourceError as exc:
                why = str(exc).removeprefix(f"{self.name}: ")
                self._refused = (time.monotonic() + REFUSED_S, f"{why} (no new login for 15 minutes)")
                raise
            self._session_at, self._refused = time.monotonic(), None

    async def _login(self) -> None:
        member, secret = self.settings.krx_id, self.settings.krx_pw
        if not member or secret is None:
            raise PermanentSourceError(self.name, _NEEDS_LOGIN)
        self.logins += 1
        agent = {"User-Agent": _HEADERS["User-Agent"]}
        await self._send("GET", LOGIN_PAGE, headers=agent)  # the first JSESSIONID
        page = self.settings.krx_data_base_url.rstrip("/") + LOGIN_PAGE
        await self._send("GET", LOGIN_JSP, headers={**agent, "Referer": page})
        form = {"mbrId": member, "pw": secret.get_secret_value(), "mbrNm": "", "telNo": "", "di": "",
                "certType": ""}  # fmt: skip
        code = await self._login_code(form, {**agent, "Referer": page})
        if code == "CD011":  # logged in elsewhere: take the session over
            code = await self._login_code({**form, "skipDup": "Y"}, {**agent, "Referer": page})
        if code == "CD001":
            return
        if code == "CD010":
            raise PermanentSourceError(self.name, "KRX asks for a new member password (FINSIGNAL_KRX_PW)")
        raise PermanentSourceError(
            self.name, f"KRX member login refused ({code or 'no code'}): {_NEEDS_LOGIN}"
        )

    async def _login_code(self, form: dict[str, str], headers: dict[str, str]) -> str:
        response = await self._send("POST", LOGIN_POST, data=form, headers=headers)
        if response.status_code >= 500:
            raise TransientSourceError(self.name, f"login: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            return ""
        return str(body.get("_error_code", "")) if isinstance(body, dict) else ""


def _logged_out(response: httpx.Response) -> bool:
    return response.status_code in (400, 404) and response.content.strip().upper().startswith(b"LOGOUT")


def _parse(source: str, body: Any) -> dict[date, tuple[float, float, float]]:
    rows = next(
        (body[k] for k in ("output", "OutBlock_1", "block1") if isinstance(body, dict) and k in body), None
    )
    if not isinstance(rows, list):
        raise TransientSourceError(source, "malformed answer (no output list)")
    out: dict[date, tuple[float, float, float]] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            day = datetime.strptime(str(row.get("TRD_DD", "")), "%Y/%m/%d").date()
        except ValueError:
            continue
        inst, indiv, foreign = (to_float(row.get(f"TRDVAL{k}")) for k in (1, 3, 4))
        if inst is None or indiv is None or foreign is None:
            continue
        out[day] = (inst, indiv, foreign)
    return out
