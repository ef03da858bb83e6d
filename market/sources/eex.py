"""EEX EU ETS primary-auction yearly reports (XLSX) -> instrument `EUA-AUCTION`.

The header row is found dynamically (a disclaimer block comes first and its size changes); headers are
normalised (newlines, U+FFFD for €, case, spaces). Only `Contract == T3PA` and `Status == successful`
rows with a price count. A day with several auctions (e.g. EU + Poland) becomes one bar: the
volume-weighted mean clearing price as O=H=L=C and the summed auction volume. A 404 for the current
year (January, before the first file) falls back to the previous year. Files of past years are cached.
"""

from __future__ import annotations

import asyncio
import io
import logging
import zipfile
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from core.errors import PermanentSourceError, TransientSourceError
from core.timeutil import day_start_utc
from core.types import Bar, Instrument, Interval
from market.errors import NoDataError
from market.http import BROWSER_UA, get
from market.sources.base import FetchResult, Source, to_float

logger = logging.getLogger(__name__)

SYMBOL = "EUA-AUCTION"
_PATH = "/eex/eua-auction-report/emission-spot-primary-market-auction-report-{year}-data.xlsx"
Day = dict[date, tuple[float, float]]  # date -> (vwap price, volume)


def norm(header: object) -> str:
    text = str(header or "").replace("\ufffd", "€").replace("\n", " ").replace("\r", " ")
    return " ".join(text.split()).lower()


class EexSource(Source):
    name = "eex"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._years: dict[int, Day] = {}

    async def _year(self, year: int) -> Day | None:
        """The aggregated days of one year's file, or None when it is not published (404)."""
        if year in self._years:
            return self._years[year]
        url = self.settings.eex_base_url.rstrip("/") + _PATH.format(year=year)

        async def attempt() -> bytes | None:
            response = await get(
                self.client,
                self.name,
                url,
                headers={"User-Agent": BROWSER_UA},
                timeout_s=self.settings.eex_timeout_s,
                ok_statuses=(200, 404),
            )
            return None if response.status_code == 404 else response.content

        content = await self.guard.call(attempt)
        if content is None:
            return None
        days = await asyncio.to_thread(parse_report, content)
        if year < self.clock.now().year:
            self._years[year] = days
        return days

    async def fetch(self, instrument: Instrument, interval: Interval, start: date, end: date) -> FetchResult:
        if interval != Interval.D1:
            raise PermanentSourceError(self.name, f"no {interval} bars (daily only)")
        this_year = self.clock.now().year
        years = list(range(start.year, min(end.year, this_year) + 1))
        merged: Day = {}
        found = False
        for year in years:
            days = await self._year(year)
            if days is None and year == this_year and year - 1 not in years:
                logger.info("eex: no %d report yet, using %d", year, year - 1)
                days = await self._year(year - 1)
            if days is None:
                logger.info("eex: no report published for %d", year)
                continue
            found = True
            merged.update(days)
        if not found:
            raise NoDataError(
                self.name, f"no auction report for {years[0] if years else start.year}..{end.year}"
            )
        bars = [
            Bar(instrument.symbol, Interval.D1, day_start_utc(d), p, p, p, p, v, source=self.name)
            for d, (p, v) in sorted(merged.items())
            if start <= d <= end
        ]
        return FetchResult(bars=bars)


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _columns(header: tuple[object, ...]) -> dict[str, int] | None:
    names = [norm(h) for h in header]
    if "date" not in names:
        return None
    found = {"date": names.index("date")}
    for key, prefix in (
        ("contract", "contract"),
        ("status", "status"),
        ("price", "auction price"),
        ("volume", "auction volume"),
    ):
        idx = next((i for i, n in enumerate(names) if n.startswith(prefix)), None)
        if idx is None:
            return None
        found[key] = idx
    return found


def parse_report(content: bytes) -> Day:
    """Parse one yearly XLSX into per-day (volume-weighted clearing price, auction volume)."""
    if content[:200].lstrip().lower().startswith((b"<!doctype", b"<html", b"<")):
        raise TransientSourceError("eex", "HTML page instead of XLSX")
    try:
        from openpyxl import load_workbook  # 35 MB resident: loaded when an auction file is read

        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise PermanentSourceError("eex", f"not a readable XLSX file ({type(exc).__name__})") from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        cols: dict[str, int] | None = None
        for _ in range(40):
            header = next(rows, None)
            if header is None:
                break
            cols = _columns(header)
            if cols:
                break
        if cols is None:
            raise PermanentSourceError("eex", "no header row with Date/Contract/Status/Auction Price/Volume")
        sums: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for row in rows:
            _add_row(row, cols, sums)
    finally:
        book.close()
    return {d: (pv / vol, vol) for d, (pv, vol) in sums.items() if vol > 0}


def _add_row(row: tuple[object, ...], cols: dict[str, int], sums: dict[date, list[float]]) -> None:
    def cell(key: str) -> object:
        i = cols[key]
        return row[i] if i < len(row) else None

    if norm(cell("contract")) != "t3pa" or norm(cell("status")) != "successful":
        return
    day, price, volume = _as_date(cell("date")), to_float(cell("price")), to_float(cell("volume"))
    if day is None or price is None or volume is None or price <= 0 or volume <= 0:
        if day is not None:
            logger.warning("eex %s: T3PA row without price/volume skipped", day)
        return
    sums[day][0] += price * volume
    sums[day][1] += volume
