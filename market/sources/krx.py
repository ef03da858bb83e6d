"""KRX Open API emissions market (`ets_bydd_trd`): one call per trading day returns every KAU/KCU/KOC.

Every value is a string (commas stripped). A row with OHLC 0 and volume 0 did not trade: its close is a
reference price only, so it never becomes a candle. Rows are selected by `ISU_NM` (codes of new
vintages are unknown in advance); bars of every vintage in a payload are returned (as `others`) so they
are all stored. Past days are cached in memory; weekends and XKRX holidays are never requested.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import date, timedelta
from typing import Any

from core.errors import PermanentSourceError
from core.timeutil import KST, day_start_utc
from core.types import Bar, Instrument, Interval, Market, Quote
from market.calendar import trading_days
from market.http import get, parse_json
from market.sources.base import FetchResult, Source, to_float

logger = logging.getLogger(__name__)

_CACHE_DAYS = 4000


class KrxSource(Source):
    name = "krx"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._days: OrderedDict[date, list[dict[str, Any]]] = OrderedDict()
        self._inflight: dict[date, asyncio.Future[list[dict[str, Any]]]] = {}

    def _today(self) -> date:
        return self.clock.now().astimezone(KST).date()

    async def day_rows(self, day: date) -> list[dict[str, Any]]:
        """The `OutBlock_1` rows of one day (cached once the day is over and had rows; concurrent
        callers share one request)."""
        if day in self._days:
            return self._days[day]
        if day in self._inflight:
            return await asyncio.shield(self._inflight[day])
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self._inflight[day] = future
        try:
            rows = await self.guard.call(lambda: self._request(day))
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        finally:
            self._inflight.pop(day, None)
        future.set_result(rows)
        if rows and day < self._today():  # an empty answer may be a late publication: ask again
            self._days[day] = rows
            while len(self._days) > _CACHE_DAYS:
                self._days.popitem(last=False)
        return rows

    async def _request(self, day: date) -> list[dict[str, Any]]:
        key = self.settings.krx_auth_key
        if key is None or not key.get_secret_value():
            raise PermanentSourceError(self.name, "FINSIGNAL_KRX_AUTH_KEY is not set")
        url = f"{self.settings.krx_base_url.rstrip('/')}/svc/apis/gen/ets_bydd_trd.json"
        response = await get(
            self.client,
            self.name,
            url,
            params={"basDd": day.strftime("%Y%m%d")},
            headers={"AUTH_KEY": key.get_secret_value(), "Accept": "application/json"},
            timeout_s=self.settings.http_timeout_s,
        )
        payload = parse_json(self.name, response)
        if not isinstance(payload, dict):
            raise PermanentSourceError(self.name, "unexpected payload (not a JSON object)")
        rows = payload.get("OutBlock_1") or []
        if not isinstance(rows, list):
            raise PermanentSourceError(self.name, "unexpected payload ('OutBlock_1' is not a list)")
        return [r for r in rows if isinstance(r, dict)]

    async def fetch(self, instrument: Instrument, interval: Interval, start: date, end: date) -> FetchResult:
        if interval != Interval.D1:
            raise PermanentSourceError(self.name, f"no {interval} bars (daily only)")
        today = self._today()
        days = trading_days(Market.KETS, start, min(end, today))
        tasks = [asyncio.ensure_future(self.day_rows(d)) for d in days]
        try:
            per_day = await asyncio.gather(*tasks)
        except BaseException:  # one day failed: stop the others, the cursor keeps what is stored
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        result = FetchResult()
        for day, rows in zip(days, per_day, strict=True):
            for row in rows:
                bar = row_to_bar(row, day)
                if bar is None:
                    continue
                if bar.symbol == instrument.symbol:
                    result.bars.append(bar)
                else:
                    result.others.setdefault(bar.symbol, []).append(bar)
        past = [d for d in days if d < today]
        result.covered_until = past[-1] if past else None
        return result

    async def fetch_quote(self, instrument: Instrument) -> Quote | None:
        today = self._today()
        for day in reversed(trading_days(Market.KETS, today - timedelta(days=10), today)):
            for row in await self.day_rows(day):
                bar = row_to_bar(row, day)
                if bar is None or bar.symbol != instrument.symbol:
                    continue
                change = to_float(row.get("CMPPREVDD_PRC"))
                return Quote(
                    symbol=bar.symbol,
                    price=bar.close,
                    ts=bar.ts,
                    source=self.name,
                    prev_close=bar.close - change if change is not None else None,
                    day_high=bar.high,
                    day_low=bar.low,
                    volume=bar.volume,
                )
        return None


def row_to_bar(row: dict[str, Any], day: date) -> Bar | None:
    """A candle from one OutBlock_1 row, or None for zero-trade / unusable rows."""
    name = str(row.get("ISU_NM", "")).strip().upper().replace(" ", "")
    o, h, low, c, v = (
        to_float(row.get(k)) for k in ("TDD_OPNPRC", "TDD_HGPRC", "TDD_LWPRC", "TDD_CLSPRC", "ACC_TRDVOL")
    )
    if not name or c is None:
        logger.warning(
            "krx %s: unusable row skipped: %r", day, {k: row.get(k) for k in ("ISU_NM", "TDD_CLSPRC")}
        )
        return None
    if not v or not o or not h or not low:
        return None  # no trade that day: TDD_CLSPRC is a reference price, not a candle
    stamp = str(row.get("BAS_DD", "")).replace("/", "").replace("-", "")
    if stamp and stamp != day.strftime("%Y%m%d"):
        logger.warning("krx %s: row dated %s skipped", day, stamp)
        return None
    return Bar(name, Interval.D1, day_start_utc(day), o, h, low, c, v, source="krx")
