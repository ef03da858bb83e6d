"""The bars of an intraday /chart: the last 1 or 5 sessions at 1, 5 or 15 minutes, read from storage;
5- and 15-minute bars are built from stored 1-minute bars (per session) when they are missing."""

from __future__ import annotations

from datetime import date, timedelta
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
    oldest first. A session's stored `interval` bars are used as they are; a session that has only 1m
    bars (the live job stores 1m) gets them resampled. Empty when neither is stored."""
    zone = ZoneInfo(tz)
    by_day = _by_session(await _recent(bars, symbol, interval, sessions), zone)
    if interval is not Interval.M1:
        for day, minute in _by_session(await _recent(bars, symbol, Interval.M1, sessions), zone).items():
            by_day.setdefault(day, resample(minute, interval))
    return [b for day in sorted(by_day)[-sessions:] for b in by_day[day]]


async def _recent(bars: BarRepo, symbol: str, interval: Interval, sessions: int) -> list[Bar]:
    last = await bars.last_bar(symbol, interval)
    if last is None:
        return []
    return await bars.list_bars(symbol, interval, start=last.ts - _LOOKBACK * sessions)


def _by_session(bars: list[Bar], zone: ZoneInfo) -> dict[date, list[Bar]]:
    return {day: list(group) for day, group in groupby(bars, key=lambda b: b.ts.astimezone(zone).date())}
