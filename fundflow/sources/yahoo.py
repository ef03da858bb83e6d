"""Yahoo chart v8 at interval=1mo (SOURCES.md section 2): close, volume, dollar volume = close x volume.

`chart.error` Not Found / an empty result -> NoDataError; all-null rows are skipped; a month's
timestamp is read in the exchange's own time zone (`meta.exchangeTimezoneName`), where it is the 1st.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import PermanentSourceError
from fundflow.catalogue import MonthlyPoint, SeriesSpec, month_of
from fundflow.sources.base import FlowSource, epoch_s, keep, malformed, month_end_s
from market.errors import NoDataError
from market.http import BROWSER_UA, get, parse_json
from market.sources.base import to_float


class YahooMonthly(FlowSource):
    name = "yahoo"

    async def monthly(self, spec: SeriesSpec, first: date, last: date) -> list[MonthlyPoint]:
        return await self.ticker(spec.symbol, first, last)

    async def ticker(self, ticker: str, first: date, last: date) -> list[MonthlyPoint]:
        url = self.url(self.settings.yahoo_base_url, f"/v8/finance/chart/{ticker}")
        params: dict[str, str | int] = {
            "period1": epoch_s(first),
            "period2": month_end_s(last),
            "interval": "1mo",
            "events": "div,splits",
        }

        async def attempt() -> list[MonthlyPoint]:
            response = await get(
                self.client,
                self.name,
                url,
                params=params,
                headers={"User-Agent": BROWSER_UA},
                timeout_s=self.settings.http_timeout_s,
                ok_statuses=(200, 404),
            )
            return _points(ticker, parse_json(self.name, response), response.status_code)

        return keep(await self.guard.call(attempt), first, last)


def _points(ticker: str, payload: object, status: int) -> list[MonthlyPoint]:
    chart = payload.get("chart") if isinstance(payload, dict) else None
    if not isinstance(chart, dict):
        raise malformed("yahoo", f"{ticker}: no 'chart'")
    error = chart.get("error")
    if error or status == 404:
        code = str(error.get("code", "")) if isinstance(error, dict) else str(error)
        if code == "Not Found" or status == 404:
            raise NoDataError("yahoo", f"{ticker}: not found")
        raise PermanentSourceError("yahoo", f"{ticker}: chart error {code}")
    results = chart.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise NoDataError("yahoo", f"{ticker}: empty result")
    result: dict[str, Any] = results[0]
    tz = ZoneInfo(str((result.get("meta") or {}).get("exchangeTimezoneName") or "UTC"))
    stamps = result.get("timestamp") or []
    quote = ((result.get("indicators") or {}).get("quote") or [{}])[0] or {}
    closes, volumes = quote.get("close") or [], quote.get("volume") or []
    if not isinstance(stamps, list) or not isinstance(closes, list) or len(closes) < len(stamps):
        raise malformed("yahoo", f"{ticker}: timestamps and closes differ in length")
    out: list[MonthlyPoint] = []
    for i, stamp in enumerate(stamps):
        close = to_float(closes[i])
        if close is None or not isinstance(stamp, int):
            continue
        volume = to_float(volumes[i]) if i < len(volumes) else None
        month = month_of(datetime.fromtimestamp(stamp, UTC).astimezone(tz).date())
        dollar = close * volume if volume is not None else None
        out.append(MonthlyPoint(month, close, volume, dollar))
    if stamps and not out:
        raise NoDataError("yahoo", f"{ticker}: all rows have null prices")
    return out
