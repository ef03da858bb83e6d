"""Alpha Vantage TIME_SERIES_DAILY: the fallback for non-Korean symbols (25 requests/day, 1/s).

`Information` / `Note` / `Error Message` on HTTP 200 are failures: the daily-quota message -> budget
exhausted (not retried), a per-second/burst or legacy `Note` message -> rate limited (retried),
`Error Message` (invalid symbol/call) -> no data. Keys are numbered strings; dates come in any order.
The key travels as a query parameter (that is the API): messages never include the URL.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from core.errors import PermanentSourceError, RateLimitedError
from core.timeutil import day_start_utc
from core.types import Bar, Instrument, Interval
from market.errors import BudgetExhaustedError, NoDataError
from market.http import get, parse_json
from market.sources.base import FetchResult, Source, to_float

logger = logging.getLogger(__name__)

_SERIES = "Time Series (Daily)"
_FIELDS = ("1. open", "2. high", "3. low", "4. close", "5. volume")


class AlphaVantageSource(Source):
    name = "alphavantage"

    async def fetch(self, instrument: Instrument, interval: Interval, start: date, end: date) -> FetchResult:
        if interval != Interval.D1:
            raise PermanentSourceError(self.name, f"no {interval} bars (daily only)")
        key = self.settings.alphavantage_key
        if key is None or not key.get_secret_value():
            raise PermanentSourceError(self.name, "FINSIGNAL_ALPHAVANTAGE_KEY is not set")
        ticker = self.ticker(instrument)
        compact = start >= self.clock.now().date() - timedelta(days=130)  # 100 trading days
        params: dict[str, str | int] = {
            "function": "TIME_SERIES_DAILY",
            "symbol": ticker,
            "outputsize": "compact" if compact else "full",
            "apikey": key.get_secret_value(),
        }
        url = f"{self.settings.alphavantage_base_url.rstrip('/')}/query"

        async def attempt() -> dict[str, Any]:
            response = await get(
                self.client, self.name, url, params=params, timeout_s=self.settings.http_timeout_s
            )
            return _series(ticker, parse_json(self.name, response))

        series = await self.guard.call(attempt)
        bars: list[Bar] = []
        for day_text in sorted(series):
            try:
                day = datetime.strptime(day_text, "%Y-%m-%d").date()
            except ValueError:
                logger.warning("alphavantage %s: bad date key %r skipped", ticker, day_text)
                continue
            if not start <= day <= end:
                continue
            row = series[day_text]
            o, h, low, c, v = (to_float(row.get(k)) if isinstance(row, dict) else None for k in _FIELDS)
            if o is None or h is None or low is None or c is None:
                logger.warning("alphavantage %s %s: incomplete row skipped", ticker, day_text)
                continue
            bars.append(
                Bar(
                    instrument.symbol,
                    Interval.D1,
                    day_start_utc(day),
                    o,
                    h,
                    low,
                    c,
                    v or 0.0,
                    source=self.name,
                )
            )
        return FetchResult(bars=bars)


def _series(ticker: str, payload: object) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise PermanentSourceError("alphavantage", "unexpected payload (not a JSON object)")
    if "Error Message" in payload:
        raise NoDataError("alphavantage", f"{ticker}: {str(payload['Error Message'])[:160]}")
    for key in ("Information", "Note"):
        if key in payload:
            text = str(payload[key])
            low = text.lower()
            if "per second" in low or "burst" in low or key == "Note":
                raise RateLimitedError("alphavantage", f"rate limited: {text[:160]}", retry_after=1.0)
            if "per day" in low or "daily" in low or "rate limit" in low:
                raise BudgetExhaustedError("alphavantage", f"daily quota reached: {text[:160]}")
            raise PermanentSourceError("alphavantage", f"{key}: {text[:160]}")
    series = payload.get(_SERIES)
    if not isinstance(series, dict):
        raise PermanentSourceError("alphavantage", f"{ticker}: payload without '{_SERIES}'")
    return series
