"""Small fakes with the real signatures for scheduler tests (real collaborators are used where they exist)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from core.ports import Repositories
from core.types import (
    Bar,
    Instrument,
    Interval,
    JobRun,
    Market,
    OutboxMessage,
    SignalEvent,
    SignalType,
    SourceHealth,
)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.t = now

    def now(self) -> datetime:
        return self.t


# ------------------------------------------------------------------ in-memory repositories
class MemBars:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, datetime], Bar] = {}

    async def upsert_bars(self, bars: Sequence[Bar]) -> int:
        for b in bars:
            self.rows[(b.symbol, str(b.interval), b.ts)] = b
        return len(bars)

    async def list_bars(
        self,
        symbol: str,
        interval: Interval = Interval.D1,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Bar]:
        out = sorted(
            (b for (s, i, _), b in self.rows.items() if s == symbol and i == str(interval)),
            key=lambda b: b.ts,
        )
        out = [b for b in out if (start is None or b.ts >= start) and (end is None or b.ts <= end)]
        return out[-limit:] if limit else out

    async def last_bar(self, symbol: str, interval: Interval = Interval.D1) -> Bar | None:
        bars = await self.list_bars(symbol, interval)
        return bars[-1] if bars else None


class MemEvents:
    def __init__(self) -> None:
        self.rows: dict[str, SignalEvent] = {}

    async def add_events(self, events: Sequence[SignalEvent]) -> list[SignalEvent]:
        new = []
        for e in events:
            if e.key not in self.rows:
                stored = replace(e, id=len(self.rows) + 1)
                self.rows[e.key] = stored
                new.append(stored)
        return new

    async def list_events(
        self, symbol: str | None = None, since: datetime | None = None, limit: int = 50
    ) -> list[SignalEvent]:
        out = [e for e in self.rows.values() if (symbol is None or e.symbol == symbol)]
        out = [e for e in out if since is None or e.ts >= since]
        return sorted(out, key=lambda e: e.ts, reverse=True)[:limit]


class MemState:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.leases: dict[str, tuple[str, datetime]] = {}

    async def get_state(self, key: str) -> bytes | None:
        return self.blobs.get(key)

    async def put_state(self, key: str, value: bytes) -> None:
        self.blobs[key] = value

    async def try_lease(self, name: str, owner: str, now: datetime, ttl_s: float) -> bool:
        held = self.leases.get(name)
        if held is None or held[0] == owner or held[1] <= now:
            self.leases[name] = (owner, now + timedelta(seconds=ttl_s))
            return True
        return False


class MemHealth:
    def __init__(self) -> None:
        self.runs: dict[str, JobRun] = {}
        self.sources: dict[str, SourceHealth] = {}

    async def record_job_run(self, run: JobRun) -> None:
        self.runs[run.job] = run

    async def list_job_runs(self) -> list[JobRun]:
        return list(self.runs.values())

    async def upsert_source_health(self, health: SourceHealth) -> None:
        self.sources[health.source] = health

    async def list_source_health(self) -> list[SourceHealth]:
        return list(self.sources.values())


class MemInstruments:
    def __init__(self) -> None:
        self.rows: dict[str, Instrument] = {}

    async def upsert_instruments(self, instruments: Iterable[Instrument]) -> None:
        for i in instruments:
            self.rows[i.symbol] = i

    async def get_instrument(self, symbol: str) -> Instrument | None:
        return self.rows.get(symbol)

    async def list_instruments(self, *, active_only: bool = True) -> list[Instrument]:
        return [i for i in self.rows.values() if i.active or not active_only]


class MemOutbox:
    def __init__(self) -> None:
        self.rows: dict[str, OutboxMessage] = {}

    async def enqueue(self, messages: Sequence[OutboxMessage]) -> int:
        n = 0
        for m in messages:
            if m.dedup_key not in self.rows:
                self.rows[m.dedup_key] = m
                n += 1
        return n

    async def count_pending(self) -> int:
        return len(self.rows)


class MemWatches:
    async def list_watched_symbols(self) -> list[str]:
        return ["AAA"]


def mem_repos() -> Repositories:
    """In-memory repositories covering what the scheduler uses (until/unless real SQLite is used)."""
    none = object()
    return Repositories(
        instruments=MemInstruments(),  # type: ignore[arg-type]
        bars=MemBars(),  # type: ignore[arg-type]
        chats=none,  # type: ignore[arg-type]
        watches=MemWatches(),  # type: ignore[arg-type]
        events=MemEvents(),  # type: ignore[arg-type]
        outbox=MemOutbox(),  # type: ignore[arg-type]
        news=none,  # type: ignore[arg-type]
        ratings=none,  # type: ignore[arg-type]
        cursors=none,  # type: ignore[arg-type]
        state=MemState(),  # type: ignore[arg-type]
        health=MemHealth(),  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------ engine, market, notifier
class SmaEngine:
    """A tiny engine with the SignalEngine API: close crossing its SMA(n) -> breakout/breakdown."""

    def __init__(self, n: int = 200) -> None:
        self.n = n
        self.closes: dict[str, list[float]] = {}

    def warm_up(self, symbol: str, bars: list[Bar]) -> None:
        self.closes[symbol] = [b.adj_close for b in bars][-(self.n + 1) :]

    def on_bar(self, bar: Bar) -> list[SignalEvent]:
        hist = self.closes.setdefault(bar.symbol, [])
        prev_above = None
        if len(hist) >= self.n:
            prev_above = hist[-1] > sum(hist[-self.n :]) / self.n
        hist.append(bar.adj_close)
        del hist[: -(self.n + 1)]
        if prev_above is None or len(hist) < self.n:
            return []
        sma = sum(hist[-self.n :]) / self.n
        above = bar.adj_close > sma
        if above == prev_above:
            return []
        sig = SignalType.BREAKOUT_200 if above else SignalType.BREAKDOWN_200
        return [
            SignalEvent(bar.symbol, sig, bar.interval, bar.ts, bar.close, {"sma": sma}, bar.close / sma - 1)
        ]

    def on_bars(self, bars: list[Bar]) -> list[SignalEvent]:
        return [e for b in bars for e in self.on_bar(b)]

    def dump_state(self) -> bytes:
        return json.dumps({"n": self.n, "closes": self.closes}).encode()

    def load_state(self, data: bytes) -> SmaEngine:
        raw = json.loads(data)
        engine = SmaEngine(raw["n"])
        engine.closes = raw["closes"]
        return engine

    def symbols(self) -> list[str]:
        return list(self.closes)


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
        self.calls: list[tuple[str, list[str]]] = []
        self.active = 0
        self.max_active = 0
        self.sources: list[SourceHealth] = []

    async def update(
        self, instruments: Sequence[Instrument], *, interval: Interval = Interval.D1
    ) -> UpdateResult:
        self.calls.append(("update", [i.symbol for i in instruments]))
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


def update_mapping(result: Mapping[str, list[Bar]]) -> int:
    return sum(len(v) for v in result.values())
