"""The KRX listing (issue 21): every stock listed on KOSPI, KOSDAQ and KONEX on a business day.

Facts (shared/SOURCES.md section 9): since the KRX login change FinanceDataReader reads a cached CSV
per business day, `{base}/data/listing/krx/{YYYY-MM-DD}.csv`, with the columns `Code, Name, Market,
Dept, Close, ChangeCode, Changes, ChagesRatio, Open, High, Low, Volume, Amount, Marcap, Stocks,
MarketId` (MarketId STK / KSQ / KNX). There is one file per business day: a missing day answers 404,
so the latest file is looked for up to `_LOOKBACK` days back.

Validation: the header must hold `Code`, `Name` and `Market`; a row without a 6-character code or a
name is dropped with a warning; a file with no usable row (or an HTML page) is a transient failure,
retried by the guard and never taken for "everything was delisted".
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import PermanentSourceError, TransientSourceError
from core.timeutil import KST
from market.http import get
from market.sources.base import Source

logger = logging.getLogger(__name__)

_LOOKBACK = 7  # days back to look for the latest published file (weekends, holidays)
_CODE = re.compile(r"^[0-9A-Z]{6}$")
_MARKETS = {"STK": "KOSPI", "KSQ": "KOSDAQ", "KNX": "KONEX"}
_NEEDED = ("Code", "Name", "Market")


@dataclass(frozen=True, slots=True)
class ListedStock:
    """One row of the day's listing."""

    code: str
    name: str
    market: str  # KOSPI / KOSDAQ / KONEX


class KrxListingSource(Source):
    name = "krx_listing"

    async def latest(self) -> tuple[date, list[ListedStock]]:
        """The latest published listing (its business day and rows), at most `_LOOKBACK` days old."""
        today = self.clock.now().astimezone(KST).date()
        for back in range(_LOOKBACK):
            day = today - timedelta(days=back)
            rows = await self.guard.call(functools.partial(self._request, day))
            if rows is not None:
                return day, rows
        raise TransientSourceError(self.name, f"no listing published in the last {_LOOKBACK} days")

    async def _request(self, day: date) -> list[ListedStock] | None:
        url = f"{self.settings.krx_listing_base_url.rstrip('/')}/data/listing/krx/{day.isoformat()}.csv"
        response = await get(
            self.client, self.name, url, timeout_s=self.settings.http_timeout_s, ok_statuses=(200, 404)
        )
        if response.status_code == 404:
            return None
        return parse_listing(self.name, response.content)


def parse_listing(source: str, body: bytes) -> list[ListedStock]:
    """The rows of a listing CSV (UTF-8, with or without BOM). Raises TransientSourceError if unusable."""
    head = body[:200].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<")):
        raise TransientSourceError(source, "HTML page instead of the listing CSV")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TransientSourceError(source, "listing CSV is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _NEEDED if c not in (reader.fieldnames or [])]
    if missing:
        raise PermanentSourceError(source, f"listing CSV lacks the columns {', '.join(missing)}")
    out: dict[str, ListedStock] = {}
    dropped = 0
    for row in reader:
        code = (row.get("Code") or "").strip().upper()
        name = (row.get("Name") or "").strip()
        if not _CODE.match(code) or not name:
            dropped += 1
            continue
        market_id = (row.get("MarketId") or "").strip().upper()
        market = _MARKETS.get(market_id) or (row.get("Market") or "").strip().upper() or "KRX"
        out[code] = ListedStock(code, name, market)
    if dropped:
        logger.warning("%s: %d listing rows without a code or name dropped", source, dropped)
    if not out:
        raise TransientSourceError(source, "listing CSV holds no usable row")
    return list(out.values())
