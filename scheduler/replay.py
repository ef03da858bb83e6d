"""Replay: stored history through the live path (SignalPipeline -> events -> Notifier) into a scratch store.

The scratch `Repositories` (e.g. an in-memory SQLite opened by the caller) receive the replay's events
and engine state, so the live event tables are never written. Only the live bars are read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.ports import Notifier, Repositories
from core.timeutil import day_start_utc, ensure_utc
from core.types import Bar, Interval, SignalEvent
from scheduler.engines import engine_factory as make_engine_factory
from scheduler.pipeline import SignalPipeline
from scheduler.ports import EnginePort
from signals import SignalConfig

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ReplayResult:
    """What a replay did: bars fed, events fired (in order), messages enqueued by the notifier."""

    symbols: list[str]
    missing: list[str] = field(default_factory=list)  # symbols without stored bars in the range
    steps: int = 0  # bar dates fed
    bars: int = 0
    events: list[SignalEvent] = field(default_factory=list)
    enqueued: int = 0
    elapsed_s: float = 0.0


def _as_utc(d: date | datetime) -> datetime:
    return ensure_utc(d) if isinstance(d, datetime) else day_start_utc(d)


async def replay(
    repos_live: Repositories,
    symbols: Sequence[str],
    start: date | datetime,
    end: date | datetime | None = None,
    *,
    speed: float = 0.0,
    notifier: Notifier,
    config: SignalConfig | None = None,
    scratch: Repositories,
    engine_factory: Callable[[], EnginePort] | None = None,
    interval: Interval = Interval.D1,
    warmup: int = 400,
) -> ReplayResult:
    """Feed stored bars of `symbols` dated start..end (inclusive) as if they arrived now.

    speed: bars per second (0 = as fast as possible). The engine is warmed with the `warmup` bars
    before `start`. Events go to `scratch.events` and `notifier`; nothing is written to `repos_live`.
    """
    if speed < 0:
        raise ValueError("speed must be >= 0 (bars per second; 0 = as fast as possible)")
    if scratch is repos_live or scratch.events is repos_live.events:
        raise ValueError("replay needs a separate scratch store; it never writes the live event tables")
    t0 = time.perf_counter()
    lo = _as_utc(start)
    if end is not None and _as_utc(end) < lo:
        raise ValueError(f"replay range is empty: --to {end} is before --from {start}")
    hi: datetime | None = None
    if isinstance(end, datetime):
        hi = ensure_utc(end)
    elif end is not None:  # a date: its whole day
        hi = day_start_utc(end) + timedelta(days=1) - timedelta(microseconds=1)
    result = ReplayResult(symbols=list(symbols))
    by_ts: dict[datetime, list[Bar]] = defaultdict(list)
    for symbol in symbols:
        history = await repos_live.bars.list_bars(
            symbol, interval, end=lo - timedelta(microseconds=1), limit=warmup
        )
        bars = [b for b in await repos_live.bars.list_bars(symbol, interval, start=lo, end=hi) if b.ts >= lo]
        if not bars:
            result.missing.append(symbol)
            continue
        if history:
            await scratch.bars.upsert_bars(history)  # the pipeline warms unseen symbols from its store
        for bar in bars:
            by_ts[bar.ts].append(bar)
    factory = engine_factory or make_engine_factory(config, interval)
    pipeline = SignalPipeline(scratch, notifier, factory, interval=interval, warmup=warmup, persist=False)
    await pipeline.warm([s for s in symbols if s not in result.missing])
    for ts in sorted(by_ts):
        step_start = time.perf_counter()
        group = by_ts[ts]
        res = await pipeline.process({b.symbol: [b] for b in group})
        result.steps += 1
        result.bars += len(group)
        result.events.extend(res.new_events)
        result.enqueued += res.enqueued
        if speed > 0:
            await asyncio.sleep(max(0.0, len(group) / speed - (time.perf_counter() - step_start)))
    result.elapsed_s = time.perf_counter() - t0
    logger.info(
        "replay of %d symbols: %d bars over %d dates, %d events, %d enqueued in %.2fs",
        len(symbols),
        result.bars,
        result.steps,
        len(result.events),
        result.enqueued,
        result.elapsed_s,
    )
    return result
