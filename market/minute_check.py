"""After the close: a day's minute bars checked against the day's daily bar (pure).

The session's 1-minute bars must add up to the daily bar: the first minute's open is the day's open,
the highest high and lowest low are the day's, the last minute's close (the closing auction) is the
day's close, and the minutes' volumes sum to the day's volume. Prices are compared unadjusted, within
`price_tol` (relative); volumes within `volume_tol` (relative: a source may count a late trade in one
and not the other). What differs is named field by field, so a log line says what to look at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.types import Bar

PRICE_TOL = 0.005  # 0.5%
VOLUME_TOL = 0.02  # 2%


@dataclass(frozen=True, slots=True)
class DayCheck:
    """The outcome for one symbol and day: `problems` empty when the minutes agree with the daily bar."""

    symbol: str
    minutes: int
    problems: tuple[str, ...] = field(default=())
    has_daily: bool = True

    @property
    def ok(self) -> bool:
        return self.has_daily and not self.problems


def _off(a: float, b: float, tol: float) -> bool:
    return not math.isclose(a, b, rel_tol=tol, abs_tol=1e-9)


def check_day(symbol: str, minutes: Sequence[Bar], daily: Bar | None, *,
              price_tol: float = PRICE_TOL, volume_tol: float = VOLUME_TOL) -> DayCheck:  # fmt: skip
    """Compare one session's 1-minute bars (any order) with its daily bar."""
    ordered = sorted(minutes, key=lambda b: b.ts)
    if daily is None:
        return DayCheck(symbol, len(ordered), ("no daily bar",), has_daily=False)
    if not ordered:
        return DayCheck(symbol, 0, ("no minute bars",))
    built = {
        "open": ordered[0].open,
        "high": max(b.high for b in ordered),
        "low": min(b.low for b in ordered),
        "close": ordered[-1].close,
    }
    problems = [
        f"{name} {value:g} from minutes vs {getattr(daily, name):g} daily"
        for name, value in built.items()
        if _off(value, getattr(daily, name), price_tol)
    ]
    volume = sum(b.volume for b in ordered)
    if _off(volume, daily.volume, volume_tol):
        problems.append(f"volume {volume:g} from minutes vs {daily.volume:g} daily")
    return DayCheck(symbol, len(ordered), tuple(problems))
