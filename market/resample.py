"""Resample intraday bars (pure): 1m -> 5m / 15m, buckets aligned on the clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.types import Bar, Interval

MINUTES = {Interval.M1: 1, Interval.M5: 5, Interval.M15: 15}


def _bucket(ts: datetime, minutes: int) -> datetime:
    return ts.replace(minute=ts.minute - ts.minute % minutes, second=0, microsecond=0)


def resample(bars: Sequence[Bar], interval: Interval) -> list[Bar]:
    """Aggregate 1-minute bars into `interval` bars: first open, max high, min low, last close, summed
    volume; the bucket's timestamp is its open time. Bars may come unordered; duplicates count once."""
    if interval not in MINUTES or interval == Interval.M1:
        raise ValueError(f"can only resample 1m bars to 5m or 15m, not to {interval}")
    minutes = MINUTES[interval]
    unique = {b.ts: b for b in bars}
    out: list[Bar] = []
    group: list[Bar] = []
    for bar in (unique[ts] for ts in sorted(unique)):
        if bar.interval != Interval.M1:
            raise ValueError(f"expected 1m bars, got {bar.interval}")
        if group and _bucket(bar.ts, minutes) != _bucket(group[0].ts, minutes):
            out.append(_merge(group, interval, minutes))
            group = []
        group.append(bar)
    if group:
        out.append(_merge(group, interval, minutes))
    return out


def _merge(group: list[Bar], interval: Interval, minutes: int) -> Bar:
    first, last = group[0], group[-1]
    return Bar(
        symbol=first.symbol,
        interval=interval,
        ts=_bucket(first.ts, minutes),
        open=first.open,
        high=max(b.high for b in group),
        low=min(b.low for b in group),
        close=last.close,
        volume=sum(b.volume for b in group),
        adj_factor=last.adj_factor,
        source=last.source,
        flags=",".join(sorted({f for b in group for f in b.flags.split(",") if f})),
    )
