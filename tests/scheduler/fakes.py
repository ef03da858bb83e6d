"""Small fakes with the real signatures for scheduler tests (real collaborators are used where they exist)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.ports import Repositories
from core.types import (
    Bar,
    Instrument,
    Interval,
    Market,
    OutboxMessage,
    SignalEvent,
    SourceHealth,
)
from signals import SignalConfig, SignalEngine


async def wait_for(cond: Callable[[], bool]) -> None:
    """Until `cond()` holds, polling every 20 ms for up to 30 s (generous: the first engine call or
    backtest may JIT-compile on a loaded machine)."""
    for _ in range(1500):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached within 30 s")


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.t = now

    def now(self) -> datetime:
        return self.t


# ------------------------------------------------------------------ engine, market, notifier
@dataclass
class UpdateResult:
    new_bars: dict[str, list[Bar]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    rejected: int = 0


class FakeMarket:
    """Serves queued bars per symbol into the repos (like MarketData.update), with failing symbols."""

    def __init__(self, repos: Repositories, *, delay: float = 0.0) -> None:
        self.repos = repos
        self.queued: dict[str, list[Bar]] = {}
        self.failing: set[str] = set()
        self.delay = delay
        self.update_delay = 0.0
        self.calls: list[tuple[str, list[str]]] = []
        self.active = 0
        self.max_active = 0
        self.sources: list[SourceHealth] = []

    async def update(
        self, instruments: Sequence[Instrument], *, interval: Interval = Interval.D1
    ) -> UpdateResult:
        self.calls.append(("update", [i.symbol for i in instruments]))
        await asyncio.sleep(self.update_delay)
        result = UpdateResult()
        for inst in instruments:
            if inst.symbol in self.failing:
                result.failures[inst.symbol] = "TransientSourceError: timeout"
                continue
            bars = self.queued.pop(inst.symbol, [])
            if bars:
                await self.repos.bars.upsert_bars(bars)
                result.new_bars[inst.symbol] = bars
        return result

    async def refresh_quotes(self, instruments: Sequence[Instrument]) -> None:
        self.calls.append(("quotes", [i.symbol for i in instruments]))
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.active -= 1

    def health(self) -> list[SourceHealth]:
        return list(self.sources)


class RecordingNotifier:
    """Records what it is handed; writes one outbox row per event (dedup by event key) like OutboxNotifier."""

    def __init__(self, repos: Repositories | None = None, *, fail_times: int = 0) -> None:
        self.repos = repos
        self.published: list[SignalEvent] = []
        self.fail_times = fail_times

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ConnectionError("delivery down")
        self.published.extend(events)
        if self.repos is None:
            return len(events)
        msgs = [
            OutboxMessage(chat_id=1, dedup_key=f"1|{e.key}", text=str(e.signal), event_id=e.id)
            for e in events
        ]
        return await self.repos.outbox.enqueue(msgs)


def instrument(symbol: str, market: Market = Market.US, sources: tuple[str, ...] = ("yahoo",)) -> Instrument:
    return Instrument(symbol, symbol, market, "USD", "America/New_York", sources)


def daily_bars(symbol: str, closes: Sequence[float], start: datetime | None = None) -> list[Bar]:
    """Daily bars on consecutive weekdays from `start` (00:00 UTC)."""
    t = start or datetime(2025, 1, 1, tzinfo=UTC)
    out = []
    for c in closes:
        while t.weekday() >= 5:
            t += timedelta(days=1)
        out.append(Bar(symbol, Interval.D1, t, c, c, c, c, 1000.0, source="fake"))
        t += timedelta(days=1)
    return out


def crossing_closes(n: int = 260) -> tuple[list[float], float]:
    """`n` closes drifting down below their SMA200, and one close that breaks above it."""
    closes = [100.0 - i * 0.05 for i in range(n)]
    return closes, 140.0


def engine_factory() -> SignalEngine:
    return SignalEngine(SignalConfig())
