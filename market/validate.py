"""Validation before storage: pure; the one rule for bad bars (`core.quality`) plus time checks."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from core.quality import QualityReport, QualityRules, clean_bars
from core.types import Bar, Interval

logger = logging.getLogger(__name__)

OUTLIER = "outlier"
INVALID = "invalid price (close missing, not finite or <= 0)"
DUPLICATE = "duplicate timestamp"


@dataclass(slots=True)
class Checked:
    """The outcome of validating a batch: bars to store (oldest first), rejected ones with reasons,
    and what the bad-bar rule (`core.quality`) changed: `repaired` (stored, flagged) and `report`."""

    kept: list[Bar] = field(default_factory=list)
    rejected: list[tuple[Bar, str]] = field(default_factory=list)
    repaired: list[Bar] = field(default_factory=list)
    report: QualityReport = field(default_factory=lambda: QualityReport(""))


def validate_bars(
    bars: Sequence[Bar],
    *,
    now: datetime,
    today: date,
    outlier_pct: float = 50.0,
    prev_close: float | None = None,
    is_trading_day: Callable[[date], bool | None] = lambda _d: None,
    rules: QualityRules = QualityRules(),
) -> Checked:
    """Check bars of one symbol and interval with the one rule for bad bars (`core.quality`).

    `today` is the exchange's local date (no daily bar may be later); intraday bars may not be later
    than `now`. Rejected: bars in the future or on a closed day, bars without a valid close, and the
    dropped copies of duplicated timestamps (the copy nearest its neighbours is kept: the same
    policy as backtests and the engine). Stored repaired and flagged: inconsistent OHLC (high/low
    widened), missing open/high/low/volume, missing adjustment factors (carried from a neighbour).
    Stored with the flag 'outlier': bars the rule holds out of indicators and returns (nothing is
    lost; every consumer applies the same rule again). `prev_close` (adjusted) is the last stored
    close: context for the outlier test of the first bar. `outlier_pct` is accepted for callers and
    not used: the rule measures a move against the instrument's recent volatility.
    """
    del outlier_pct
    out = Checked()
    timely: list[Bar] = []
    for bar in bars:
        reason = _time_problem(bar, now, today, is_trading_day)
        if reason is None:
            timely.append(bar)
        else:
            out.rejected.append((bar, reason))
    context: list[Bar] = []
    if prev_close and timely and math.isfinite(prev_close) and prev_close > 0:
        b0, p = min(timely, key=lambda b: b.ts), prev_close
        context = [Bar(b0.symbol, b0.interval, b0.ts - timedelta(microseconds=1), p, p, p, p, 0.0)]
    cleaned = clean_bars([*context, *timely], rules, symbol=timely[0].symbol if timely else "")
    out.report = cleaned.report
    by_id = {id(b): b for b in timely}
    settled: set[int] = set()
    kept: list[Bar] = []
    for bar in cleaned.bars:
        if context and bar is context[0]:
            continue
        original = by_id.get(id(bar))
        if original is None:  # a repaired copy: find its source by timestamp among the candidates
            original = next(b for b in timely if b.ts == bar.ts and id(b) not in settled)
            out.repaired.append(bar)
        settled.add(id(original))
        kept.append(bar)
    for bar, why in cleaned.held_out:
        if id(bar) not in by_id:
            continue
        settled.add(id(bar))
        if why == OUTLIER:
            kept.append(replace(bar, flags=",".join(f for f in (bar.flags, OUTLIER) if f)))
        else:
            out.rejected.append((bar, INVALID))
    out.rejected += [(b, DUPLICATE) for b in timely if id(b) not in settled]
    out.kept = sorted(kept, key=lambda b: b.ts)
    for bar, reason in out.rejected:
        logger.debug("rejected bar %s %s %s: %s", bar.symbol, bar.interval, bar.ts.isoformat(), reason)
    if out.rejected:
        logger.warning("%s", rejection_summary(out.rejected))
    if out.report.repaired or out.report.outliers:
        logger.warning("bars of %s: %s", out.report.symbol, out.report.summary())
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
