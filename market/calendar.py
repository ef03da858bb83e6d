"""Exchange sessions per market (exchange_calendars), cached; unknown ranges fall back to weekdays."""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta
from typing import Any

import exchange_calendars as xcals

from core.types import Market

logger = logging.getLogger(__name__)

CALENDAR_BY_MARKET: dict[Market, str] = {
    Market.US: "XNYS",
    Market.XETRA: "XETR",
    Market.KRX: "XKRX",
    Market.KETS: "XKRX",
}


@functools.cache
def _calendar(code: str) -> Any:
    return xcals.get_calendar(code)


@functools.cache
def _sessions(code: str) -> tuple[date, date, frozenset[date]]:
    cal = _calendar(code)
    days = frozenset(ts.date() for ts in cal.sessions)
    return cal.first_session.date(), cal.last_session.date(), days


def is_trading_day(market: Market, day: date) -> bool | None:
    """True/False from the market's calendar; None when the market has none or `day` is outside it."""
    code = CALENDAR_BY_MARKET.get(market)
    if code is None:
        return None
    first, last, days = _sessions(code)
    if not first <= day <= last:
        return None
    return day in days


def trading_days(market: Market, start: date, end: date) -> list[date]:
    """Trading days in [start, end]; weekdays where the calendar does not know."""
    out: list[date] = []
    day = start
    while day <= end:
        known = is_trading_day(market, day)
        if known or (known is None and day.weekday() < 5):
            out.append(day)
        day += timedelta(days=1)
    return out


def warm(markets: tuple[Market, ...] = tuple(CALENDAR_BY_MARKET)) -> None:
    """Build calendars ahead of time (XKRX takes a few seconds the first time)."""
    for market in markets:
        code = CALENDAR_BY_MARKET.get(market)
        if code:
            _sessions(code)
