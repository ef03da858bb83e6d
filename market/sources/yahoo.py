"""Yahoo Finance chart v8 JSON API over httpx (equities, ETFs, FCO2.DE, .KS/.KQ).

Why not yfinance itself: yfinance 1.7 hard-codes its hosts (`yfinance.const._BASE_URL_`, imported by
value into every scraper module), fetches a cookie/crumb from fc.yahoo.com and runs synchronously on
curl_cffi, so it can neither be pointed at a configurable base URL (tests, proxies) nor share our
asyncio limits. We issue the same request yfinance's history scraper does
(`/v8/finance/chart/{ticker}?period1&period2&interval&events=div,splits`) and handle the silent
failures yfinance users meet, explicitly: `chart.error` (Not Found -> no data), an empty result or
no timestamps, all-null quote arrays, HTTP 429 (yfinance's YFRateLimitError), HTML consent/error
pages instead of JSON, truncated bodies. Splits and dividends come from `events`; prices stay raw
(the adjustment factors are applied and stored separately by the pipeline).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import PermanentSourceError
from core.timeutil import day_start_utc
from core.types import Bar, Instrument, Interval, Quote
from market.errors import NoDataError
from market.http import BROWSER_UA, get, parse_json
from market.sources.base import FetchResult, Source, to_float

logger = logging.getLogger(__name__)

_INTERVALS = {Interval.D1: "1d", Interval.M1: "1m", Interval.M5: "5m", Interval.M15: "15m"}


class YahooSource(Source):
    name = "yahoo"
    intraday = True

    async def _chart(self, ticker: str, params: dict[str, str | int]) -> dict[str, Any]:
        url = f"{self.settings.yahoo_base_url.rstrip('/')}/v8/finance/chart/{ticker}"

        async def attempt() -> dict[str, Any]:
            response = await get(
                self.client,
                self.name,
                url,
                params=params,
                headers={"User-Agent": BROWSER_UA},
                timeout_s=self.settings.http_timeout_s,
                ok_statuses=(200, 404),
            )
            payload = parse_json(self.name, response)
            return _result(ticker, payload, response.status_code)

        return await self.guard.call(attempt)

    async def fetch(self, instrument: Instrument, interval: Interval, start: date, end: date) -> FetchResult:
        ticker = self.ticker(instrument)
        p1 = int((day_start_utc(start) - timedelta(days=1)).timestamp())
        p2 = int((day_start_utc(end) + timedelta(days=2)).timestamp())
        params: dict[str, str | int] = {
            "period1": p1,
            "period2": p2,
            "interval": _INTERVALS[interval],
            "events": "div,splits",
            "includePrePost": "false",
        }
        result = await self._chart(ticker, params)
        tz = ZoneInfo(result.get("meta", {}).get("exchangeTimezoneName") or instrument.timezone)
        bars = _bars(instrument.symbol, interval, result, tz, self.name)
        bars = [b for b in bars if start <= _local_date(b, tz, interval) <= end]
        return FetchResult(bars=bars, splits=_splits(result, tz), dividends=_dividends(result, tz))

    async def fetch_quote(self, instrument: Instrument) -> Quote | None:
        ticker = self.ticker(instrument)
        result = await self._chart(ticker, {"range": "5d", "interval": "1d"})
        meta = result.get("meta", {})
        tz = ZoneInfo(meta.get("exchangeTimezoneName") or instrument.timezone)
        bars = _bars(instrument.symbol, Interval.D1, result, tz, self.name)
        price = to_float(meta.get("regularMarketPrice")) or (bars[-1].close if bars else None)
        if price is None:
            raise NoDataError(self.name, f"no price for {ticker}")
        when = meta.get("regularMarketTime")
        ts = datetime.fromtimestamp(when, UTC) if isinstance(when, int) else (bars[-1].ts if bars else None)
        if ts is None:
            raise NoDataError(self.name, f"no quote time for {ticker}")
        today = ts.astimezone(tz).date()
        earlier = [b for b in bars if b.ts.date() < today]
        current = [b for b in bars if b.ts.date() == today]
        return Quote(
            symbol=instrument.symbol,
            price=price,
            ts=ts,
            source=self.name,
            prev_close=earlier[-1].close if earlier else to_float(meta.get("chartPreviousClose")),
            day_high=to_float(meta.get("regularMarketDayHigh")) or (current[-1].high if current else None),
            day_low=to_float(meta.get("regularMarketDayLow")) or (current[-1].low if current else None),
            volume=to_float(meta.get("regularMarketVolume")) or (current[-1].volume if current else None),
            high_52w=to_float(meta.get("fiftyTwoWeekHigh")),
            low_52w=to_float(meta.get("fiftyTwoWeekLow")),
        )


def _result(ticker: str, payload: object, status: int) -> dict[str, Any]:
    chart = payload.get("chart") if isinstance(payload, dict) else None
    if not isinstance(chart, dict):
        raise PermanentSourceError("yahoo", f"unexpected payload for {ticker} (no 'chart')")
    error = chart.get("error")
    if error:
        code = str(error.get("code", "")) if isinstance(error, dict) else str(error)
        text = str(error.get("description", "")) if isinstance(error, dict) else ""
        if code == "Not Found" or status == 404:
            raise NoDataError("yahoo", f"{ticker}: {text or 'not found'}")
        raise PermanentSourceError("yahoo", f"{ticker}: chart error {code}: {text}")
    results = chart.get("result")
    if not results or not isinstance(results, list) or not isinstance(results[0], dict):
        raise NoDataError("yahoo", f"{ticker}: empty result")
    return results[0]


def _local_date(bar: Bar, tz: ZoneInfo, interval: Interval) -> date:
    return bar.ts.date() if interval == Interval.D1 else bar.ts.astimezone(tz).date()


def _bars(symbol: str, interval: Interval, result: dict[str, Any], tz: ZoneInfo, source: str) -> list[Bar]:
    stamps = result.get("timestamp") or []
    quotes = (result.get("indicators", {}).get("quote") or [{}])[0] or {}
    cols = [quotes.get(k) or [] for k in ("open", "high", "low", "close", "volume")]
    bars: list[Bar] = []
    nulls = 0
    for i, stamp in enumerate(stamps):
        o, h, low, c, v = (to_float(col[i]) if i < len(col) else None for col in cols)
        if o is None or h is None or low is None or c is None:
            nulls += 1
            continue
        moment = datetime.fromtimestamp(stamp, UTC)
        ts = day_start_utc(moment.astimezone(tz).date()) if interval == Interval.D1 else moment
        bars.append(Bar(symbol, interval, ts, o, h, low, c, v or 0.0, source=source))
    if stamps and not bars:
        raise NoDataError(source, f"{symbol}: all {nulls} rows have null prices")
    if nulls:
        logger.info("yahoo %s: skipped %d rows with null prices", symbol, nulls)
    return bars


def _splits(result: dict[str, Any], tz: ZoneInfo) -> list[tuple[datetime, float]]:
    events = (result.get("events") or {}).get("splits") or {}
    out: list[tuple[datetime, float]] = []
    for item in events.values():
        num, den = to_float(item.get("numerator")), to_float(item.get("denominator"))
        when = item.get("date")
        if not num or not den or not isinstance(when, int):
            continue
        day = datetime.fromtimestamp(when, UTC).astimezone(tz).date()
        out.append((day_start_utc(day), den / num))
    return sorted(out)


def _dividends(result: dict[str, Any], tz: ZoneInfo) -> list[tuple[datetime, float]]:
    events = (result.get("events") or {}).get("dividends") or {}
    out: list[tuple[datetime, float]] = []
    for item in events.values():
        amount, when = to_float(item.get("amount")), item.get("date")
        if not amount or amount <= 0 or not isinstance(when, int):
            continue
        out.append((day_start_utc(datetime.fromtimestamp(when, UTC).astimezone(tz).date()), amount))
    return sorted(out)
