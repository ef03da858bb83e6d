"""Exchange sessions per market (exchange_calendars, through the shipped table in market.sessions),
cached; unknown ranges fall back to weekdays."""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta

from core.types import Market
from market.sessions import covered, from_exchange_calendars, sessions

logger = logging.getLogger(__name__)

CALENDAR_BY_MARKET: dict[Market, str] = {
    Market.US: "XNYS",
    Market.XETRA: "XETR",
    Market.KRX: "XKRX",
    Market.KETS: "XKRX",
}


@functools.cache
def _sessions(code: str) -> tuple[date, date, frozenset[date]]:
    """(first day known, last day known, sessions): the shipped table while it reaches a year ahead,
    else exchange_calendars' default span (twenty years back, one ahead)."""
    today = date.today()
    span = covered(code)
    if span is not None and span[1] >= today + timedelta(days=365):
        return span[0], span[1], frozenset(sessions(code, *span).days)
    found = from_exchange_calendars(code, today - timedelta(days=20 * 365), today + timedelta(days=365))
    return found.days[0], found.days[-1], frozenset(found.days)


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
