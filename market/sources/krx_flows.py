"""Investor flows from KRX's public data (data.krx.co.kr), the fallback when KIS fails (issue 21).

Facts (shared/SOURCES.md section 8.1): `POST /comm/bldAttendant/getJsonData.cmd`, form-encoded, with
`bld=dbms/MDC/STAT/standard/MDCSTAT02302`, `strtDd`/`endDd` (YYYYMMDD), `isuCd` = the ISIN,
`inqTpCd=2`, `trdVolVal` 1 (volume) or 2 (value), `askBid=3` (net). The answer is `{"output": [...]}`
with `TRD_DD` ("YYYY/MM/DD") and `TRDVAL1..4` as comma strings: 1 institutions, 2 other
corporations, 3 individuals, 4 foreigners (by position). Some blds answer under `OutBlock_1` or
`block1`. Without a logged-in session KRX answers HTTP 400 with the body `LOGOUT`: a permanent
failure naming the settings (the member login itself is not done here; see docs/korea.md).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from core.errors import PermanentSourceError, RateLimitedError, TransientSourceError
from core.types import Instrument, InvestorFlow
from market.http import parse_json
from market.sources.base import Source, to_float

BLD = "dbms/MDC/STAT/standard/MDCSTAT02302"
PATH = "/comm/bldAttendant/getJsonData.cmd"
_HEADERS = {
    "User-Agent": "Mozilla/5.0 (finsignal)",
    "Referer": "https://data.krx.co.kr/contents/MDC/MDI/outerLoader/index.cmd",
    "X-Requested-With": "XMLHttpRequest",
}
_DAYS = 45  # calendar days asked for: about the 30 sessions KIS answers


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
        url = self.settings.krx_data_base_url.rstrip("/") + PATH
        try:
            response = await self.client.post(
                url, data=form, headers=_HEADERS, timeout=self.settings.http_timeout_s
            )
        except httpx.TimeoutException:
            raise TransientSourceError(self.name, "timed out") from None
        except httpx.TransportError as exc:
            raise TransientSourceError(self.name, f"connection failed ({type(exc).__name__})") from None
        status = response.status_code
        if status in (400, 404) and response.content.strip().upper().startswith(b"LOGOUT"):
            raise PermanentSourceError(
                self.name, "data.krx.co.kr needs a member login (FINSIGNAL_KRX_ID / FINSIGNAL_KRX_PW)"
            )
        if status == 429:
            raise RateLimitedError(self.name, "HTTP 429 Too Many Requests")
        if status >= 500:
            raise TransientSourceError(self.name, f"HTTP {status}")
        if status != 200:
            raise PermanentSourceError(self.name, f"HTTP {status}")
        return _parse(self.name, parse_json(self.name, response))


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
