"""Time helpers: everything is timezone-aware UTC inside; KST only when rendering for people."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

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
