"""Market sessions from exchange_calendars (XNYS, XETR, XKRX; read through the table in
market.sessions), with per-market session overrides.

A session is a pair of aware UTC datetimes (open, close) taken from the exchange's maintained calendar,
so holidays, early closes and DST are the calendar's business. The KRX emissions market (KETS) trades on
XKRX days but only 10:00-12:00 KST (KRX 배출권시장 매매시간), set by ``Settings.kets_session``.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from core.types import Market
from market.sessions import sessions

CALENDAR_START = "2024-01-01"  # history older than this is never scheduled; keeps loading fast
CALENDAR_DAYS_AHEAD = 730  # sessions known this far ahead of the process start


# KRX trades one hour later (10:00-16:30 KST) on the national college entrance exam (수능) day, which
# exchange_calendars does not model. The dates (no rule gives them: the second or third Thursday of
# November) live in the data file krx_late_days.json; more come from FINSIGNAL_KRX_LATE_DAYS.
def _load_late_days() -> frozenset[date]:
    raw = json.loads(resources.files("scheduler").joinpath("krx_late_days.json").read_text("utf-8"))
    return frozenset(date.fromisoformat(d) for d in raw["days"])


KRX_LATE_DAYS: frozenset[date] = _load_late_days()
EXAM_SEASON = (9, 1)  # from this month/day a year's exam date is worth asking for


def missing_exam_year(late_days: Iterable[date], today: date) -> int | None:
    """The year whose exam day is needed soon but unknown: from September to the end of November of a
    year with no known November date; None otherwise (the rest of the year it is months away)."""
    if (today.month, today.day) < EXAM_SEASON or today.month == 12:
        return None
    return None if any(d.year == today.year and d.month == 11 for d in late_days) else today.year


_LATE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """How one market is scheduled: its exchange calendar, time zone and optional local session bounds."""

    market: Market
    calendar: str
    tz: str
    session: tuple[time, time] | None = None  # local open/close overriding the calendar's (KETS)
    finalise_at: time | None = None  # local time daily bars are published (else the close)
    late_days: frozenset[date] = frozenset()  # sessions shifted one hour later (KRX exam day)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def parse_hhmm(text: str) -> time:
    """'15:30' -> time(15, 30); a clear ValueError otherwise."""
    hh, sep, mm = text.strip().partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and 0 <= int(hh) < 24 and 0 <= int(mm) < 60):
        raise ValueError(f"expected HH:MM, got {text!r}")
    return time(int(hh), int(mm))


def parse_span(text: str) -> tuple[time, time]:
    """'10:00-12:00' -> (time(10), time(12)); the end must be after the start."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    a, b = parse_hhmm(start), parse_hhmm(end)
    if b <= a:
        raise ValueError(f"session end must be after its start: {text!r}")
    return a, b


@functools.cache
def _sessions(calendar: str) -> tuple[list[date], list[datetime], list[datetime]]:
    """(session dates, opens, closes) of an exchange calendar, UTC, cached per process."""
    end = date.today() + timedelta(days=CALENDAR_DAYS_AHEAD)  # a trigger without sessions would end its job
    found = sessions(calendar, date.fromisoformat(CALENDAR_START), end)
    return found.days, found.opens, found.closes


class SessionCalendar:
    """Sessions of one market: the exchange's sessions clipped to the market's own hours."""

    def __init__(self, spec: MarketSpec) -> None:
        self.spec = spec
        days, opens, closes = _sessions(spec.calendar)
        if spec.late_days:
            opens = [o + _LATE if d in spec.late_days else o for d, o in zip(days, opens, strict=True)]
            closes = [c + _LATE if d in spec.late_days else c for d, c in zip(days, closes, strict=True)]
        self._days = days
        if spec.session is None:
            self._opens, self._closes = opens, closes
        else:
            lo, hi = spec.session
            zone = spec.zone
            self._opens = [
                max(o, datetime.combine(d, lo, zone).astimezone(UTC))
                for d, o in zip(days, opens, strict=True)
            ]
            self._closes = [
                min(c, datetime.combine(d, hi, zone).astimezone(UTC))
                for d, c in zip(days, closes, strict=True)
            ]

    @property
    def last_day(self) -> date:
        return self._days[-1]

    def is_session(self, day: date) -> bool:
        i = bisect.bisect_left(self._days, day)
        return i < len(self._days) and self._days[i] == day

    def is_open(self, now: datetime) -> bool:
        """True while `now` is inside a session of this market."""
        i = bisect.bisect_right(self._opens, now) - 1
        return i >= 0 and now < self._closes[i]

    def sessions_from(self, now: datetime) -> Iterator[tuple[date, datetime, datetime]]:
        """Sessions whose close is at or after `now` minus one day, in order (for trigger maths)."""
        i = max(0, bisect.bisect_left(self._closes, now - timedelta(days=1)))
        for j in range(i, len(self._days)):
            yield self._days[j], self._opens[j], self._closes[j]

    def session_of(self, now: datetime) -> tuple[date, datetime, datetime] | None:
        """The latest session that opened at or before `now` (it may have closed already)."""
        i = bisect.bisect_right(self._opens, now) - 1
        return None if i < 0 else (self._days[i], self._opens[i], self._closes[i])


def default_specs(
    kets_session: str = "10:00-12:00", kets_finalise: str = "15:30", krx_late_days: Iterable[date] = ()
) -> dict[Market, MarketSpec]:
    """The markets finsignal schedules. EEX auctions run on their own cron (see jobs).

    `krx_late_days` adds exam days to the known ones (FINSIGNAL_KRX_LATE_DAYS)."""
    late = KRX_LATE_DAYS | frozenset(krx_late_days)
    return {
        Market.US: MarketSpec(Market.US, "XNYS", "America/New_York"),
        Market.XETRA: MarketSpec(Market.XETRA, "XETR", "Europe/Berlin"),
        Market.KRX: MarketSpec(Market.KRX, "XKRX", "Asia/Seoul", late_days=late),
        Market.KETS: MarketSpec(
            Market.KETS,
            "XKRX",
            "Asia/Seoul",
            session=parse_span(kets_session),
            finalise_at=parse_hhmm(kets_finalise),
        ),
    }


@functools.cache
def session_calendar(spec: MarketSpec) -> SessionCalendar:
    """A cached SessionCalendar for `spec`."""
    return SessionCalendar(spec)
