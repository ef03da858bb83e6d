"""Payload builders in the documented formats of Yahoo chart v8, KRX ets_bydd_trd, Alpha Vantage and
the EEX yearly auction XLSX (see /work/shared/SOURCES.md sections 1-4)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook


@dataclass(frozen=True)
class Row:
    """One daily row. None values make the null rows Yahoo sometimes sends."""

    day: date
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    volume: float | None = 1000.0


def daily_rows(
    start: date, closes: Sequence[float], *, weekdays_only: bool = True, volume: float = 1000.0
) -> list[Row]:
    """Rows on consecutive weekdays from `start` with the given closes (open = previous close)."""
    rows: list[Row] = []
    day = start
    prev = closes[0]
    for close in closes:
        while weekdays_only and day.weekday() >= 5:
            day += timedelta(days=1)
        rows.append(Row(day, prev, max(prev, close) * 1.01, min(prev, close) * 0.99, close, volume))
        prev = close
        day += timedelta(days=1)
    return rows


# ---- Yahoo chart v8 -------------------------------------------------------------------------


def yahoo_chart(
    ticker: str,
    rows: Iterable[Row],
    *,
    tz: str = "America/New_York",
    open_time: time = time(9, 30),
    splits: Iterable[tuple[date, int, int]] = (),
    dividends: Iterable[tuple[date, float]] = (),
    currency: str = "USD",
) -> dict[str, Any]:
    """`{"chart": {"result": [...], "error": null}}` with timestamps at the local session open."""
    zone = ZoneInfo(tz)
    rows = list(rows)
    stamps = [int(datetime.combine(r.day, open_time, tzinfo=zone).timestamp()) for r in rows]
    last = rows[-1] if rows else None
    meta: dict[str, Any] = {
        "currency": currency,
        "symbol": ticker,
        "exchangeTimezoneName": tz,
        "instrumentType": "EQUITY",
        "regularMarketPrice": last.close if last else None,
        "regularMarketTime": stamps[-1] + 6 * 3600 if stamps else None,
        "regularMarketDayHigh": last.high if last else None,
        "regularMarketDayLow": last.low if last else None,
        "regularMarketVolume": last.volume if last else None,
        "fiftyTwoWeekHigh": max((r.high for r in rows if r.high), default=None),
        "fiftyTwoWeekLow": min((r.low for r in rows if r.low), default=None),
        "chartPreviousClose": rows[0].close if rows else None,
    }
    result: dict[str, Any] = {"meta": meta, "indicators": {"quote": [{}], "adjclose": [{}]}}
    if rows:
        result["timestamp"] = stamps
        result["indicators"]["quote"] = [
            {
                "open": [r.open for r in rows],
                "high": [r.high for r in rows],
                "low": [r.low for r in rows],
                "close": [r.close for r in rows],
                "volume": [r.volume for r in rows],
            }
        ]
        result["indicators"]["adjclose"] = [{"adjclose": [r.close for r in rows]}]
    split_events = {}
    for day, num, den in splits:
        stamp = int(datetime.combine(day, open_time, tzinfo=zone).timestamp())
        split_events[str(stamp)] = {
            "date": stamp,
            "numerator": num,
            "denominator": den,
            "splitRatio": f"{num}:{den}",
        }
    if split_events:
        result.setdefault("events", {})["splits"] = split_events
    div_events = {}
    for day, amount in dividends:
        stamp = int(datetime.combine(day, open_time, tzinfo=zone).timestamp())
        div_events[str(stamp)] = {"amount": amount, "date": stamp}
    if div_events:
        result.setdefault("events", {})["dividends"] = div_events
    return {"chart": {"result": [result], "error": None}}


def yahoo_not_found(ticker: str) -> dict[str, Any]:
    return {
        "chart": {
            "result": None,
            "error": {"code": "Not Found", "description": f"No data found, symbol may be delisted: {ticker}"},
        }
    }


# ---- KRX ets_bydd_trd -----------------------------------------------------------------------


def _krx_num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def krx_row(
    name: str, day: date, o: float, h: float, low: float, c: float, volume: float, *, change: float = 0.0
) -> dict[str, str]:
    """One OutBlock_1 row: every value a string, thousands with commas (as on data.krx)."""
    vintage = name[3:] if name[3:].isdigit() else "00"
    code = {"KAU": "050", "KCU": "051"}.get(name[:3], "052") + "03" + vintage + "0"
    return {
        "BAS_DD": day.strftime("%Y%m%d"),
        "ISU_CD": code,
        "ISU_NM": name,
        "TDD_CLSPRC": _krx_num(c),
        "CMPPREVDD_PRC": _krx_num(change),
        "FLUC_RT": f"{(change / (c - change) * 100) if c != change else 0:.2f}",
        "TDD_OPNPRC": _krx_num(o),
        "TDD_HGPRC": _krx_num(h),
        "TDD_LWPRC": _krx_num(low),
        "ACC_TRDVOL": _krx_num(volume),
        "ACC_TRDVAL": _krx_num(c * volume),
    }


def krx_zero_trade(name: str, day: date, reference: float) -> dict[str, str]:
    """A vintage that did not trade: OHLC "0", volume "0", close = reference price."""
    row = krx_row(name, day, 0, 0, 0, reference, 0)
    row.update({"TDD_OPNPRC": "0", "TDD_HGPRC": "0", "TDD_LWPRC": "0", "ACC_TRDVOL": "0", "ACC_TRDVAL": "0"})
    return row


# ---- Alpha Vantage TIME_SERIES_DAILY --------------------------------------------------------

AV_INFORMATION = (
    "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more "
    "sparingly. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ "
    "to lift the free key rate limit (25 requests per day) and instantly unlock all premium endpoints"
)
AV_NOTE = (
    "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and "
    "500 calls per day."
)
AV_ERROR = (
    "Invalid API call. Please retry or visit the documentation "
    "(https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY."
)


def av_daily(symbol: str, rows: Iterable[Row]) -> dict[str, Any]:
    """Numbered string keys; dates deliberately newest first and shuffled a little."""
    rows = list(rows)
    series = {
        r.day.isoformat(): {
            "1. open": f"{r.open:.4f}",
            "2. high": f"{r.high:.4f}",
            "3. low": f"{r.low:.4f}",
            "4. close": f"{r.close:.4f}",
            "5. volume": str(int(r.volume or 0)),
        }
        for r in reversed(rows)
    }
    keys = list(series)
    if len(keys) > 2:
        keys[0], keys[1] = keys[1], keys[0]
    return {
        "Meta Data": {
            "1. Information": "Daily Prices (open, high, low, close) and Volumes",
            "2. Symbol": symbol,
            "3. Last Refreshed": rows[-1].day.isoformat() if rows else "",
            "4. Output Size": "Compact",
            "5. Time Zone": "US/Eastern",
        },
        "Time Series (Daily)": {k: series[k] for k in keys},
    }


# ---- EEX yearly primary-auction XLSX --------------------------------------------------------

EEX_HEADERS = [
    "Date",
    "Time",
    "Auction Name",
    "Contract",
    "Status",
    "Auction Price \ufffd/tCO2",
    "Minimum Bid\n\ufffd/tCO2",
    "Maximum Bid\n\ufffd/tCO2",
    "Mean\n\ufffd/tCO2",
    "Median\n\ufffd/tCO2",
    "Auction Volume\ntCO2",
    "Total Amount of Bids",
    "Number of bids submitted",
    "Cover Ratio",
    "Total Number of Bidders",
    "Total Revenue \ufffd",
    "Zone",
    "Austria\n(AT)",
]


@dataclass(frozen=True)
class Auction:
    day: date
    price: float | None
    volume: float
    name: str = "Auction CAP3 EU"
    contract: str = "T3PA"
    status: str = "successful"


def eex_xlsx(auctions: Iterable[Auction], *, disclaimer_rows: int = 5, date_as_text: bool = False) -> bytes:
    """The yearly report: disclaimer rows first, header on row `disclaimer_rows + 1`, column A empty."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Primary Market Auction"
    for i in range(disclaimer_rows):
        sheet.append(
            [None, "Disclaimer: EEX does not guarantee the accuracy of this report." if i == 0 else None]
        )
    sheet.append([None, *EEX_HEADERS])
    for a in auctions:
        day: object = a.day.strftime("%d/%m/%Y") if date_as_text else datetime.combine(a.day, time(0, 0))
        sheet.append(
            [
                None,
                day,
                "09:00 - 11:00",
                a.name,
                a.contract,
                a.status,
                a.price,
                None,
                None,
                None,
                None,
                a.volume,
                a.volume * 1.8,
                20,
                1.8,
                18,
                (a.price or 0) * a.volume,
                "EU",
                None,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def utc(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)
