"""Time helpers: everything is timezone-aware UTC inside; KST only when rendering for people."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from core.types import Market

KST = ZoneInfo("Asia/Seoul")


class Clock(Protocol):
    """Where "now" comes from; injected so tests can control time."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def ensure_utc(ts: datetime) -> datetime:
    """Return `ts` as aware UTC; a naive datetime is taken to be UTC already."""
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def day_start_utc(d: date) -> datetime:
    """The timestamp finsignal uses for a daily bar of trading date `d`: 00:00 UTC of that date."""
    return datetime.combine(d, time(0, 0), tzinfo=UTC)


def fmt_kst_utc(ts: datetime) -> str:
    """Render a moment for people: ``2026-11-21 09:00 KST (00:00 UTC)``."""
    u = ensure_utc(ts)
    k = u.astimezone(KST)
    return f"{k:%Y-%m-%d %H:%M} KST ({u:%H:%M} UTC)"


def fmt_kst(ts: datetime) -> str:
    """Render a moment in KST only: ``2026-11-21 09:00 KST``."""
    return f"{ensure_utc(ts).astimezone(KST):%Y-%m-%d %H:%M} KST"


# --- what people read: bar times in the market's clock, KST beside ----------------------------------

# The regular close of each market's daily session, local time (exchange rules; early closes and
# holidays are the calendar's business and do not change which session a bar belongs to).
SESSION_CLOSE: dict[Market, time] = {
    Market.US: time(16, 0),
    Market.XETRA: time(17, 30),
    Market.KRX: time(15, 30),
    Market.KETS: time(12, 0),
    Market.EEX: time(11, 0),
}
_INTRADAY = {"1m": timedelta(minutes=1), "5m": timedelta(minutes=5), "15m": timedelta(minutes=15)}


def bar_end(ts: datetime, interval: str, market: Market, tz: str) -> datetime:
    """When a bar ended, in the market's zone `tz`: a daily bar (stored at 00:00 UTC of its session
    date) at the session's close on that date; an intraday bar (stored at its open) at open + length."""
    zone = ZoneInfo(tz)
    u = ensure_utc(ts)
    if interval in _INTRADAY:
        return (u + _INTRADAY[interval]).astimezone(zone)
    close = SESSION_CLOSE.get(market)
    if close is None:
        return datetime.combine(u.date(), time(0, 0), tzinfo=zone)
    return datetime.combine(u.date(), close, tzinfo=zone)


@functools.lru_cache(maxsize=1024)  # a close renders thousands of alerts of the same few bar times
def fmt_bar(ts: datetime, interval: str, market: Market, tz: str, *, city: str, close_word: str) -> str:
    """A bar's time for people: ``2026-11-30 close 16:00 New York · 12-01 06:00 KST`` (daily),
    ``2026-11-30 10:05 New York · 12-01 00:05 KST`` (intraday, by its end), ``2026-11-30 close 15:30
    KST`` for Korean markets, ``2026-11-30`` for a market without a known close."""
    end = bar_end(ts, interval, market, tz)
    daily = interval not in _INTRADAY
    if daily and market not in SESSION_CLOSE:
        return f"{end:%Y-%m-%d}"
    word = f" {close_word}" if daily and close_word else ""
    k = end.astimezone(KST)
    if ZoneInfo(tz) == KST or tz == "Asia/Seoul":
        return f"{end:%Y-%m-%d}{word} {end:%H:%M} KST"
    return f"{end:%Y-%m-%d}{word} {end:%H:%M} {city} · {k:%m-%d %H:%M} KST"
