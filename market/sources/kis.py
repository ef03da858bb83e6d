"""Korea Investment & Securities (KIS) Open API: daily and minute bars, current price, investor flows.

Facts (shared/SOURCES.md section 7): every answer is `{"rt_cd", "msg_cd", "msg1", "output"|"output1"/
"output2"}` with numbers as strings, newest rows first. The per-appkey limit is 20 requests a second on
a real account and 2 on a paper one; over it KIS answers HTTP 500 with `EGW00201`, which is retried after
a short wait. An expired token (`EGW00123`) is re-issued once (see `kis_auth`) and the request repeated.
Long ranges are paged: minute bars by the earliest time returned (`FID_INPUT_HOUR_1`), daily bars by the
day before the oldest returned, investor flows by the `tr_cont` continuation header.

Minute rows are labelled by the minute's start (`090000` is the first minute, `153000` the closing
auction); a row of today whose minute has not ended yet is still forming and is not returned.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx

from core.errors import PermanentSourceError, RateLimitedError, TransientSourceError
from core.timeutil import KST, day_start_utc
from core.types import Bar, EtfHolding, Instrument, Interval, InvestorFlow, Quote
from market.calendar import trading_days
from market.http import parse_json
from market.sources.base import FetchResult, Source, to_float
from market.sources.kis_auth import KisToken, KisTokens

logger = logging.getLogger(__name__)

REAL_URL = "https://openapi.koreainvestment.com:9443"
PAPER_URL = "https://openapivts.koreainvestment.com:29443"
QUOTES = "/uapi/domestic-stock/v1/quotations/"
_MINUTE_PAGE = 120  # rows per call, past days (FHKST03010230)
_TODAY_PAGE = 30  # rows per call, today (FHKST03010200)
_DAILY_PAGE = 100
_MAX_PAGES = 40
_OPEN = time(9, 0)


def default_rate(account_type: str) -> float:
    """KIS's per-appkey limit less some headroom for
    clock jitter between us and KIS: 19/s real, 1.8/s paper."""
    return 1.8 if account_type == "paper" else 19.0


def base_url(configured: str, account_type: str) -> str:
    """The configured URL; a paper account left on the real default goes to the paper server."""
    if account_type == "paper" and configured.rstrip("/") == REAL_URL:
        return PAPER_URL
    return configured.rstrip("/")


def _code(instrument: Instrument) -> str:
    return instrument.symbol.split(".")[0]


def _kst(day: str, hhmmss: str = "000000") -> datetime:
    return datetime.strptime(day + hhmmss, "%Y%m%d%H%M%S").replace(tzinfo=KST).astimezone(UTC)


class KisSource(Source):
    name = "kis"
    intraday = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s = self.settings
        if s.kis_app_key is None or s.kis_app_secret is None:
            raise ValueError("KisSource needs FINSIGNAL_KIS_APP_KEY and FINSIGNAL_KIS_APP_SECRET")
        self._key = s.kis_app_key.get_secret_value()
        self._secret = s.kis_app_secret.get_secret_value()
        self._url = base_url(s.kis_base_url, s.kis_account_type)
        self._marks: dict[tuple[str, date], str] = {}  # (symbol, today) -> latest closed minute returned
        self.tokens = KisTokens(
            self._key,
            self._issue_token,
            clock=self.clock,
            store=self.guard.store,
            min_gap_s=s.kis_token_min_gap_s,
        )

    # ---- transport --------------------------------------------------------------------------

    async def _issue_token(self) -> KisToken:
        body = {"grant_type": "client_credentials", "appkey": self._key, "appsecret": self._secret}
        try:
            response = await self.client.post(
                self._url + "/oauth2/tokenP", json=body, timeout=self.settings.http_timeout_s
            )
        except httpx.HTTPError as exc:
            raise TransientSourceError(self.name, f"token request failed ({type(exc).__name__})") from None
        data = _json_or_empty(response)
        code = str(data.get("error_code") or data.get("msg_cd") or "")
        if code == "EGW00133":
            raise RateLimitedError(self.name, "token issuance limited to once a minute (EGW00133)")
        if response.status_code in (401, 403) or code:
            raise PermanentSourceError(
                self.name, f"token refused: HTTP {response.status_code} {code}".strip()
            )
        if response.status_code >= 500:
            raise TransientSourceError(self.name, f"token request: HTTP {response.status_code}")
        value = data.get("access_token")
        if not isinstance(value, str) or not value:
            raise TransientSourceError(self.name, "token answer without access_token")
        now = self.clock.now()
        expires = now + timedelta(seconds=float(to_float(data.get("expires_in")) or 86400))
        stated = data.get("access_token_token_expired")
        if isinstance(stated, str):
            with contextlib.suppress(ValueError):
                expires = min(expires, datetime.strptime(stated, "%Y-%m-%d %H:%M:%S").replace(tzinfo=KST))
        return KisToken(value, expires.astimezone(UTC), now)

    async def request(
        self, path: str, tr_id: str, params: dict[str, str], *, tr_cont: str = ""
    ) -> tuple[dict[str, Any], str]:
        """One quotation call under the guard: (body, the answer's `tr_cont` header)."""

        async def attempt() -> tuple[dict[str, Any], str]:
            token = await self.tokens.get()
            headers = {
                "content-type": "application/json; charset=utf-8",
                "authorization": f"Bearer {token}",
                "appkey": self._key,
                "appsecret": self._secret,
                "tr_id": tr_id,
                "custtype": "P",
                "tr_cont": tr_cont,
            }
            try:
                response = await self.client.get(
                    self._url + path, params=params, headers=headers, timeout=self.settings.http_timeout_s
                )
            except httpx.TimeoutException:
                raise TransientSourceError(self.name, f"{tr_id} timed out") from None
            except httpx.TransportError as exc:
                raise TransientSourceError(
                    self.name, f"{tr_id}: connection failed ({type(exc).__name__})"
                ) from None
            return self._check(response, token, tr_id), response.headers.get("tr_cont", "")

        return await self.guard.call(attempt)

    def _check(self, response: httpx.Response, token: str, tr_id: str) -> dict[str, Any]:
        data = _json_or_empty(response)
        code = str(data.get("msg_cd") or "")
        if code == "EGW00201":
            raise RateLimitedError(self.name, f"{tr_id}: over the per-second request limit (EGW00201)", 1.0)
        if code == "EGW00123":
            self.tokens.invalidate(token)
            raise TransientSourceError(self.name, f"{tr_id}: access token expired (EGW00123)")
        if response.status_code >= 500:
            raise TransientSourceError(self.name, f"{tr_id}: HTTP {response.status_code} {code}".strip())
        if response.status_code != 200:
            raise PermanentSourceError(self.name, f"{tr_id}: HTTP {response.status_code} {code}".strip())
        body = parse_json(self.name, response)
        if not isinstance(body, dict):
            raise TransientSourceError(self.name, f"{tr_id}: malformed answer (not an object)")
        if not isinstance(body.get("output2", []), list) or not isinstance(
            body.get("output", {}), list | dict
        ):
            raise TransientSourceError(self.name, f"{tr_id}: malformed answer (unexpected output shape)")
        if str(body.get("rt_cd")) != "0":
            raise PermanentSourceError(
                self.name, f"{tr_id}: {code or 'error'} {body.get('msg1', '')}".strip()
            )
        return body

    # ---- bars -------------------------------------------------------------------------------

    async def fetch(self, instrument: Instrument, interval: Interval, start: date, end: date) -> FetchResult:
        if interval == Interval.D1:
            return FetchResult(bars=await self.daily_bars(instrument, start, end))
        if interval != Interval.M1:
            raise PermanentSourceError(self.name, f"serves 1d and 1m bars, not {interval}")
        bars: list[Bar] = []
        for day in trading_days(instrument.market, start, end):
            bars.extend(await self.minute_bars(instrument, day))
        return FetchResult(bars=bars, covered_until=self._covered(end))

    def _covered(self, end: date) -> date:
        today = self.clock.now().astimezone(KST).date()
        return min(end, today - timedelta(days=1))

    async def minute_bars(self, instrument: Instrument, day: date) -> list[Bar]:
        """The 1-minute bars of one session day, oldest first (today: the closed minutes so far)."""
        now = self.clock.now()
        today = now.astimezone(KST).date()
        if day > today:
            return []
        live = day == today
        tr_id, page, path = (
            ("FHKST03010200", _TODAY_PAGE, "inquire-time-itemchartprice")
            if live
            else ("FHKST03010230", _MINUTE_PAGE, "inquire-time-dailychartprice")
        )
        ymd = day.strftime("%Y%m%d")
        hour = "153000" if not live else min(now.astimezone(KST).strftime("%H%M%S"), "153000")
        rows: dict[str, dict[str, Any]] = {}
        for _ in range(_MAX_PAGES):
            params = {
                "FID_COND_MRKT_DIV_CODE": "J",
                "FID_INPUT_ISCD": _code(instrument),
                "FID_INPUT_HOUR_1": hour,
                "FID_PW_DATA_INCU_YN": "Y",
            }
            params.update(
                {"FID_ETC_CLS_CODE": ""} if live else {"FID_INPUT_DATE_1": ymd, "FID_FAKE_TICK_INCU_YN": ""}
            )
            body, _cont = await self.request(QUOTES + path, tr_id, params)
            got = [r for r in _rows(body, "output2") if r.get("stck_bsop_date") == ymd]
            fresh = [r for r in got if str(r.get("stck_cntg_hour")) not in rows]
            rows.update({str(r.get("stck_cntg_hour")): r for r in got})
            earliest = min((str(r.get("stck_cntg_hour")) for r in got), default="000000")
            known = self._marks.get((instrument.symbol, day), "") if live else ""
            if len(_rows(body, "output2")) < page or not fresh or earliest <= max("090000", known):
                break
            hour = earliest
        bars = [b for b in (self._minute_bar(instrument, r) for r in rows.values()) if b is not None]
        closed = sorted((b for b in bars if b.ts + timedelta(minutes=1) <= now), key=lambda b: b.ts)
        if live and closed:  # the next round of today pages back only to here
            self._marks = {k: v for k, v in self._marks.items() if k[1] == day}
            self._marks[(instrument.symbol, day)] = closed[-1].ts.astimezone(KST).strftime("%H%M%S")
        return closed

    def _minute_bar(self, instrument: Instrument, row: dict[str, Any]) -> Bar | None:
        try:
            ts = _kst(str(row["stck_bsop_date"]), str(row["stck_cntg_hour"]))
        except (KeyError, ValueError):
            return None
        values = [
            to_float(row.get(k)) for k in ("stck_oprc", "stck_hgpr", "stck_lwpr", "stck_prpr", "cntg_vol")
        ]
        o, h, lo, c, v = values
        if o is None or h is None or lo is None or c is None:
            return None
        return Bar(instrument.symbol, Interval.M1, ts, o, h, lo, c, v or 0.0, source=self.name)

    async def daily_bars(self, instrument: Instrument, start: date, end: date) -> list[Bar]:
        """Raw daily bars with their adjustment factor (adjusted close / raw close), oldest first."""
        raw = await self._daily(instrument, start, end, adjusted=False)
        adjusted = {
            r["stck_bsop_date"]: to_float(r.get("stck_clpr"))
            for r in await self._daily(instrument, start, end, adjusted=True)
        }
        bars: list[Bar] = []
        for row in raw:
            vals = [
                to_float(row.get(k)) for k in ("stck_oprc", "stck_hgpr", "stck_lwpr", "stck_clpr", "acml_vol")
            ]
            o, h, lo, c, v = vals
            day = str(row.get("stck_bsop_date", ""))
            if o is None or h is None or lo is None or not c or len(day) != 8:
                continue
            adj = adjusted.get(day)
            factor = adj / c if adj else 1.0
            ts = day_start_utc(datetime.strptime(day, "%Y%m%d").date())
            bars.append(Bar(instrument.symbol, Interval.D1, ts, o, h, lo, c, v or 0.0, factor, self.name))
        return sorted(bars, key=lambda b: b.ts)

    async def _daily(
        self, instrument: Instrument, start: date, end: date, *, adjusted: bool
    ) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        upper = end
        for _ in range(_MAX_PAGES):
            params = {
                "FID_COND_MRKT_DIV_CODE": "J",
                "FID_INPUT_ISCD": _code(instrument),
                "FID_INPUT_DATE_1": start.strftime("%Y%m%d"),
                "FID_INPUT_DATE_2": upper.strftime("%Y%m%d"),
                "FID_PERIOD_DIV_CODE": "D",
                "FID_ORG_ADJ_PRC": "0" if adjusted else "1",
            }
            body, _cont = await self.request(QUOTES + "inquire-daily-itemchartprice", "FHKST03010100", params)
            got = [r for r in _rows(body, "output2") if str(r.get("stck_bsop_date", "")).isdigit()]
            rows.update({str(r["stck_bsop_date"]): r for r in got})
            if len(got) < _DAILY_PAGE:
                break
            oldest = datetime.strptime(min(str(r["stck_bsop_date"]) for r in got), "%Y%m%d").date()
            upper = oldest - timedelta(days=1)
            if upper < start:
                break
        return list(rows.values())

    # ---- quote and investor flows -----------------------------------------------------------

    async def fetch_quote(self, instrument: Instrument) -> Quote | None:
        params = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": _code(instrument)}
        body, _ = await self.request(QUOTES + "inquire-price", "FHKST01010100", params)
        out = body.get("output")
        if not isinstance(out, dict) or not to_float(out.get("stck_prpr")):
            raise TransientSourceError(self.name, "FHKST01010100: malformed answer (no price)")
        price = float(to_float(out["stck_prpr"]) or 0.0)
        change = to_float(out.get("prdy_vrss"))
        return Quote(
            symbol=instrument.symbol,
            price=price,
            ts=self.clock.now(),
            source=self.name,
            prev_close=None if change is None else price - change,
            day_high=to_float(out.get("stck_hgpr")),
            day_low=to_float(out.get("stck_lwpr")),
            volume=to_float(out.get("acml_vol")),
        )

    async def investor_flows(self, instrument: Instrument) -> list[InvestorFlow]:
        """Daily net buying by individuals, foreigners and institutions, oldest first. Today's row
        exists only after the close; KIS answers about the last 30 sessions, paged by `tr_cont`."""
        params = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": _code(instrument)}
        flows: dict[date, InvestorFlow] = {}
        cont = ""
        for _ in range(_MAX_PAGES):
            body, header = await self.request(
                QUOTES + "inquire-investor", "FHKST01010900", params, tr_cont=cont
            )
            for row in _rows(body, "output"):
                flow = _flow(instrument.symbol, row)
                if flow is not None:
                    flows[flow.day] = flow
            if header not in ("F", "M"):
                break
            cont = "N"
        return [flows[d] for d in sorted(flows)]


async def etf_holdings(source: KisSource, etf: Instrument) -> list[EtfHolding]:
    """Today's portfolio of a Korean ETF (FHKST121600C0, a snapshot without a date), largest first."""
    params = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": _code(etf), "FID_COND_SCR_DIV_CODE": "11216"}
    path = "/uapi/etfetn/v1/quotations/inquire-component-stock-price"
    body, _ = await source.request(path, "FHKST121600C0", params)
    day = source.clock.now().astimezone(KST).date()
    out: list[EtfHolding] = []
    for row in _rows(body, "output2"):
        code, weight = str(row.get("stck_shrn_iscd", "")).strip(), to_float(row.get("etf_cnfg_issu_rlim"))
        if not code or weight is None or not 0 <= weight <= 100:
            continue  # cash lines and malformed rows
        name = str(row.get("hts_kor_isnm", "")).strip() or code
        out.append(EtfHolding(etf.symbol, day, code, name, weight, to_float(row.get("etf_vltn_amt"))))
    return sorted(out, key=lambda h: -h.weight)


def _flow(symbol: str, row: dict[str, Any]) -> InvestorFlow | None:
    day = str(row.get("stck_bsop_date", ""))
    values = {k: to_float(row.get(k)) for k in (
        "prsn_ntby_qty", "frgn_ntby_qty", "orgn_ntby_qty",
        "prsn_ntby_tr_pbmn", "frgn_ntby_tr_pbmn", "orgn_ntby_tr_pbmn",
    )}  # fmt: skip
    if len(day) != 8 or not day.isdigit() or any(v is None for v in values.values()):
        return None  # today's row before the close comes with blanks
    scale = _value_scale(values, to_float(row.get("stck_clpr")))
    return InvestorFlow(
        symbol=symbol,
        day=datetime.strptime(day, "%Y%m%d").date(),
        close=to_float(row.get("stck_clpr")),
        individual_qty=values["prsn_ntby_qty"] or 0.0,
        foreign_qty=values["frgn_ntby_qty"] or 0.0,
        institution_qty=values["orgn_ntby_qty"] or 0.0,
        individual_value=(values["prsn_ntby_tr_pbmn"] or 0.0) * scale,
        foreign_value=(values["frgn_ntby_tr_pbmn"] or 0.0) * scale,
        institution_value=(values["orgn_ntby_tr_pbmn"] or 0.0) * scale,
        source="kis",
    )


def _value_scale(values: dict[str, float | None], close: float | None) -> float:
    """KRW per unit of the `*_tr_pbmn` fields. KIS's documents give them in millions of KRW; whether
    every account type does is unconfirmed, so the unit is read off the row: value / quantity is a
    price near the close in one unit and a millionth of it in the other."""
    if not close:
        return 1e6
    for who in ("frgn", "orgn", "prsn"):
        qty, value = values[f"{who}_ntby_qty"], values[f"{who}_ntby_tr_pbmn"]
        if qty and value and abs(qty) >= 100:
            implied = abs(value / qty)
            return 1.0 if 0.2 * close <= implied <= 5 * close else 1e6
    return 1e6


def _rows(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = body.get(key)
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise TransientSourceError("kis", f"malformed answer ({key} is not a list)")
    return [r for r in rows if isinstance(r, dict)]


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
