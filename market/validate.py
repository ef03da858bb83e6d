"""Validation before storage: pure; bad rows are rejected with a reason, odd-but-plausible ones flagged."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from core.types import Bar, Interval

logger = logging.getLogger(__name__)

OUTLIER = "outlier"


@dataclass(slots=True)
class Checked:
    """The outcome of validating a batch: bars to store (oldest first) and rejected ones with reasons."""

    kept: list[Bar] = field(default_factory=list)
    rejected: list[tuple[Bar, str]] = field(default_factory=list)


def _row_problem(bar: Bar) -> str | None:
    values = (bar.open, bar.high, bar.low, bar.close)
    if not all(math.isfinite(v) for v in (*values, bar.volume, bar.adj_factor)):
        return "non-finite value"
    if min(values) <= 0:
        return "price <= 0"
    if bar.volume < 0:
        return "negative volume"
    if bar.adj_factor <= 0:
        return "adjustment factor <= 0"
    if bar.high < max(bar.open, bar.close) or bar.low > min(bar.open, bar.close) or bar.high < bar.low:
        return "inconsistent OHLC (high/low do not bound open/close)"
    return None


def validate_bars(
    bars: Sequence[Bar],
    *,
    now: datetime,
    today: date,
    outlier_pct: float,
    prev_close: float | None = None,
    is_trading_day: Callable[[date], bool | None] = lambda _d: None,
) -> Checked:
    """Check bars of one symbol and interval.

    `today` is the exchange's local date (no daily bar may be later); intraday bars may not be later
    than `now`. `prev_close` (adjusted) is the last stored close, for the outlier check. Duplicated
    timestamps keep the first occurrence. An outlier (|adj close / prev - 1| > outlier_pct %) is kept
    with the flag 'outlier'.
    """
    out = Checked()
    seen: set[datetime] = set()
    prev = prev_close
    for bar in sorted(bars, key=lambda b: b.ts):
        reason = _row_problem(bar)
        if reason is None and bar.ts in seen:
            reason = "duplicate timestamp"
        if reason is None:
            reason = _time_problem(bar, now, today, is_trading_day)
        if reason is not None:
            logger.debug("rejected bar %s %s %s: %s", bar.symbol, bar.interval, bar.ts.isoformat(), reason)
            out.rejected.append((bar, reason))
            continue
        seen.add(bar.ts)
        adj = bar.close * bar.adj_factor
        if prev and abs(adj / prev - 1.0) * 100.0 > outlier_pct:
            logger.warning(
                "outlier bar %s %s: close %.6g vs previous %.6g (kept, flagged)",
                bar.symbol,
                bar.ts.date(),
                adj,
                prev,
            )
            flags = ",".join(f for f in (bar.flags, OUTLIER) if f)
            bar = replace(bar, flags=flags)
        prev = adj
        out.kept.append(bar)
    if out.rejected:
        logger.warning("%s", rejection_summary(out.rejected))
    return out


def rejection_summary(rejected: Sequence[tuple[Bar, str]], examples: int = 3) -> str:
    """One line for many rejected bars: 'rejected 105 bars of SPY 1d: 103 not a trading day (2005-01-17,
    2005-02-21, 2005-03-25, …), 2 duplicate timestamp (…)'; each bar is logged at DEBUG."""
    by_reason: dict[str, list[Bar]] = {}
    for bar, reason in rejected:
        by_reason.setdefault(reason, []).append(bar)
    first = rejected[0][0]
    parts = []
    for reason, bars in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
        more = ", …" if len(bars) > examples else ""
        days = ", ".join(f"{b.ts:%Y-%m-%d}" for b in bars[:examples]) + more
        parts.append(f"{len(bars)} {reason} ({days})")
    return f"rejected {len(rejected)} bars of {first.symbol} {first.interval}: " + "; ".join(parts)


def _time_problem(
    bar: Bar, now: datetime, today: date, is_trading_day: Callable[[date], bool | None]
) -> str | None:
    if bar.interval == Interval.D1:
        if bar.ts.date() > today:
            return "timestamp in the future"
    elif bar.ts > now:
        return "timestamp in the future"
    if is_trading_day(bar.ts.date()) is False:
        return "not a trading day"
    return None
