"""The bars of an intraday /chart: the last 1 or 5 sessions at 1, 5 or 15 minutes, read from storage;
5- and 15-minute bars are built from stored 1-minute bars (per session) when they are missing."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from core.ports import BarRepo
from core.types import Bar, Interval
from market.resample import resample

SPANS = {"1d": 1, "5d": 5}  # sessions shown
INTERVALS = {"1m": Interval.M1, "5m": Interval.M5, "15m": Interval.M15}
_LOOKBACK = timedelta(days=14)  # calendar days that surely hold the last 5 sessions (holidays included)


async def session_bars(bars: BarRepo, symbol: str, interval: Interval, sessions: int, tz: str) -> list[Bar]:
    """Bars of the last `sessions` sessions (a session: one trading day in the market's zone `tz`),
    oldest first; empty when none are stored at `interval` nor at 1 minute."""
    found = await _last_sessions(bars, symbol, interval, sessions, tz)
    if found or interval is Interval.M1:
        return found
    minute = await _last_sessions(bars, symbol, Interval.M1, sessions, tz)
    zone = ZoneInfo(tz)
    return [
        bar
        for _, day in groupby(minute, key=lambda b: b.ts.astimezone(zone).date())
        for bar in resample(list(day), interval)
    ]


async def _last_sessions(bars: BarRepo, symbol: str, interval: Interval, sessions: int, tz: str) -> list[Bar]:
    last = await bars.last_bar(symbol, interval)
    if last is None:
        return []
    stored = await bars.list_bars(symbol, interval, start=last.ts - _LOOKBACK * sessions)
    zone = ZoneInfo(tz)
    days = sorted({b.ts.astimezone(zone).date() for b in stored})[-sessions:]
    return [b for b in stored if b.ts.astimezone(zone).date() >= days[0]]
