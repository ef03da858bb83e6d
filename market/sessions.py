"""Exchange sessions (date, open, close in UTC) from a table shipped with finsignal, exchange_calendars
beyond it.

exchange_calendars is the source of truth, but building a calendar imports pandas and pyarrow (about
90 MB resident) and takes seconds for XKRX; a bot that only needs to know when markets open should not
pay that. `tools/sessions_table.py` writes the sessions of the calendars finsignal uses, 1990 to two
years ahead, to `sessions.csv.gz` (one row per session: calendar, date, open and close as minutes from
UTC midnight of the date). Ranges the table covers come from it; anything outside falls back to
exchange_calendars itself, so a table that has grown old is slower, never wrong. A test checks the table
against exchange_calendars, so a library upgrade that moves a holiday fails until the table is rebuilt.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources

TABLE = "sessions.csv.gz"
CALENDARS = ("XNYS", "XETR", "XKRX")  # the calendars the table holds
_MIDNIGHT = datetime.min.time()


@dataclass(frozen=True, slots=True)
class Sessions:
    """Sessions of one exchange calendar, in date order."""

    days: list[date]
    opens: list[datetime]
    closes: list[datetime]

    def between(self, start: date, end: date) -> Sessions:
        import bisect

        lo, hi = bisect.bisect_left(self.days, start), bisect.bisect_right(self.days, end)
        return Sessions(self.days[lo:hi], self.opens[lo:hi], self.closes[lo:hi])


@functools.cache
def _table() -> dict[str, tuple[date, date, Sessions]]:
    """calendar -> (first day covered, last day covered, sessions) from the shipped table."""
    raw = resources.files("market").joinpath(TABLE).read_bytes()
    rows: dict[str, list[tuple[date, datetime, datetime]]] = {}
    bounds: dict[str, tuple[date, date]] = {}
    for rec in csv.reader(io.StringIO(gzip.decompress(raw).decode("ascii"))):
        if rec[0] == "#range":  # #range,CODE,first,last: the span the table covers (holidays included)
            bounds[rec[1]] = (date.fromisoformat(rec[2]), date.fromisoformat(rec[3]))
            continue
        day = date.fromisoformat(rec[1])
        base = datetime.combine(day, _MIDNIGHT, UTC)
        rows.setdefault(rec[0], []).append(
            (day, base + timedelta(minutes=int(rec[2])), base + timedelta(minutes=int(rec[3])))
        )
    out = {}
    for code, recs in rows.items():
        days, opens, closes = (list(col) for col in zip(*recs, strict=True))
        out[code] = (*bounds[code], Sessions(days, opens, closes))  # type: ignore[arg-type]
    return out


def from_exchange_calendars(code: str, start: date, end: date) -> Sessions:
    """Sessions straight from exchange_calendars (imports pandas; seconds for XKRX)."""
    import exchange_calendars as xcals

    cal = xcals.get_calendar(code, start=start.isoformat(), end=end.isoformat())
    sched = cal.schedule
    return Sessions(
        [ts.date() for ts in sched.index],
        [ts.to_pydatetime().astimezone(UTC) for ts in sched["open"]],
        [ts.to_pydatetime().astimezone(UTC) for ts in sched["close"]],
    )


def sessions(code: str, start: date, end: date) -> Sessions:
    """Sessions of calendar `code` in [start, end]: from the table when it covers the range."""
    known = _table().get(code)
    if known is not None and known[0] <= start and end <= known[1]:
        return known[2].between(start, end)
    return from_exchange_calendars(code, start, end)


def covered(code: str) -> tuple[date, date] | None:
    """The span of days the shipped table covers for `code`, or None."""
    known = _table().get(code)
    return None if known is None else (known[0], known[1])
