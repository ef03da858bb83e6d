"""Binance public klines at interval=1M (SOURCES.md section 11): close, base volume, quote volume.

Rows `[openTime, open, high, low, close, volume, closeTime, quoteVolume, ...]`; at most 1000 per page,
next page from last openTime + 1. The unfinished current month is dropped (closeTime in the future).
Quote volume in USDT is taken as dollar volume. Errors `{"code": -1121, "msg": ...}` are permanent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.errors import PermanentSourceError
from fundflow.catalogue import MonthlyPoint, SeriesSpec
from fundflow.sources.base import FlowSource, epoch_s, keep, malformed, month_end_s
from market.errors import NoDataError
from market.http import get, parse_json
from market.sources.base import to_float

PAGE = 1000


class BinanceMonthly(FlowSource):
    name = "binance"

    async def monthly(self, spec: SeriesSpec, first: date, last: date) -> list[MonthlyPoint]:
        url = self.url(self.settings.binance_base_url, "/api/v3/klines")
        start_ms, end_ms = epoch_s(first) * 1000, month_end_s(last) * 1000 - 1
        now_ms = int(self.clock.now().timestamp() * 1000)
        points: list[MonthlyPoint] = []
        while start_ms <= end_ms:
            params: dict[str, str | int] = {
                "symbol": spec.symbol,
                "interval": "1M",
                "startTime": start_ms,
                "endTime": end_ms,
                "limit": PAGE,
            }

            async def attempt(params: dict[str, str | int] = params) -> list[list[object]]:
                response = await get(
                    self.client,
                    self.name,
                    url,
                    params=params,
                    timeout_s=self.settings.http_timeout_s,
                    ok_statuses=(200, 400),
                )
                return _rows(spec.symbol, parse_json(self.name, response))

            rows = await self.guard.call(attempt)
            points += [_point(spec.symbol, r) for r in rows if _close_ms(spec.symbol, r) < now_ms]
            if len(rows) < PAGE:
                break
            start_ms = int(str(rows[-1][0])) + 1
        if not points:
            raise NoDataError(self.name, f"{spec.symbol}: no finished months")
        return keep(points, first, last)


def _rows(symbol: str, payload: object) -> list[list[object]]:
    if isinstance(payload, dict) and "code" in payload:
        raise PermanentSourceError("binance", f"{symbol}: error {payload.get('code')}: {payload.get('msg')}")
    if not isinstance(payload, list) or any(not isinstance(r, list) or len(r) < 8 for r in payload):
        raise malformed("binance", f"{symbol}: klines are not rows of 12 fields")
    return payload


def _close_ms(symbol: str, row: list[object]) -> int:
    if not isinstance(row[6], int):
        raise malformed("binance", f"{symbol}: closeTime is not an integer")
    return row[6]


def _point(symbol: str, row: list[object]) -> MonthlyPoint:
    close, volume, quote = to_float(row[4]), to_float(row[5]), to_float(row[7])
    if not isinstance(row[0], int) or close is None or volume is None or quote is None:
        raise malformed("binance", f"{symbol}: unreadable kline {row[:8]!r}")
    month = datetime.fromtimestamp(row[0] / 1000, UTC).date().replace(day=1)
    return MonthlyPoint(month, close, volume, quote)
