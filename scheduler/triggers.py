"""APScheduler 3 triggers driven by exchange sessions: no fire outside a session or on a holiday."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from apscheduler.triggers.base import BaseTrigger

from scheduler.calendars import SessionCalendar

Anchor = Literal["open", "close", "finalise"]


class SessionIntervalTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires every `every` from session open + `offset` up to the close + `tail` (inclusive), on session
    days only. A tail lets a job collect what closes with the session (the last minute bar)."""

    def __init__(
        self,
        calendar: SessionCalendar,
        every: timedelta,
        offset: timedelta = timedelta(0),
        tail: timedelta = timedelta(0),
    ) -> None:
        if every <= timedelta(0):
            raise ValueError("every must be positive")
        self.calendar = calendar
        self.every = every
        self.offset = offset
        self.tail = tail

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        after = (
            now if previous_fire_time is None else max(now, previous_fire_time + timedelta(microseconds=1))
        )
        for _day, opened, session_close in self.calendar.sessions_from(after):
            closed = session_close + self.tail
            first = opened + self.offset
            if closed < after or first > closed:
                continue
            if after <= first:
                return first
            steps = -(-(after - first) // self.every)  # ceil
            candidate = first + steps * self.every
            if candidate <= closed:
                return candidate
        return None

    def __str__(self) -> str:
        return f"session[{self.calendar.spec.market}] every {self.every} +{self.offset}"


class SessionAnchorTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires once per session at its open, its close or its finalisation time, plus `offset`."""

    def __init__(self, calendar: SessionCalendar, anchor: Anchor, offset: timedelta = timedelta(0)) -> None:
        self.calendar = calendar
        self.anchor = anchor
        self.offset = offset

    def _anchor(self, day: date, opened: datetime, closed: datetime) -> datetime:
        spec = self.calendar.spec
        if self.anchor == "open":
            return opened
        if self.anchor == "finalise" and spec.finalise_at is not None:
            local = datetime.combine(day, spec.finalise_at, spec.zone)
            return max(closed, local.astimezone(closed.tzinfo))
        return closed

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        after = (
            now if previous_fire_time is None else max(now, previous_fire_time + timedelta(microseconds=1))
        )
        for day, opened, closed in self.calendar.sessions_from(after - abs(self.offset) - timedelta(days=1)):
            candidate = self._anchor(day, opened, closed) + self.offset
            if candidate >= after:
                return candidate
        return None

    def __str__(self) -> str:
        return f"session[{self.calendar.spec.market}] {self.anchor} +{self.offset}"
