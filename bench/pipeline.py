"""Benchmark of the bar -> alert path: N instruments, one new bar each, from bars in hand to every
outbox row written in a real SQLite database (file, WAL), through the scheduler's SignalPipeline.

    .venv/bin/python bench/pipeline.py [--instruments 5000] [--history 260] [--runs 3]

Variants: `batch` (one outbox row per event per watching chat, one enqueue), the same with a
set-based `add_events` (a bench-only sketch of what storage could do), and the bot's `OutboxNotifier`
(renders per chat, reads watchers/instrument/rating per event). Goal: < 1 s.
Reference measured in the same run: the same number of outbox-sized rows inserted with plain
sqlite3 executemany (a floor for the database part), and the engine's per-bar `on_bar` loop.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

# run as a script, this folder comes first on sys.path and bench/signals.py would shadow the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: E402

from bot.delivery import OutboxNotifier  # noqa: E402
from core.ports import EventRepo, Notifier, Repositories  # noqa: E402
from core.timeutil import ensure_utc  # noqa: E402
from core.types import Bar, Chat, ChatKind, Interval, OutboxMessage, SignalEvent, Watch  # noqa: E402
from scheduler.pipeline import SignalPipeline, pack_state  # noqa: E402
from signals import SignalConfig, SignalEngine  # noqa: E402
from storage import Database  # noqa: E402
from storage.models import SignalEventRow  # noqa: E402

START = datetime(2025, 1, 1, tzinfo=UTC)


class BatchNotifier:
    """One row per (event, watching chat), all in one enqueue: the minimal outbox writer."""

    def __init__(self, repos: Repositories, watchers: dict[str, list[int]]) -> None:
        self.repos = repos
        self.watchers = watchers

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        msgs = [
            OutboxMessage(
                chat_id=c,
                dedup_key=f"{c}|{e.key}",
                text=f"{e.symbol} {e.signal} {e.close:.2f}",
                event_id=e.id,
            )
            for e in events
            for c in self.watchers.get(e.symbol, ())
        ]
        return await self.repos.outbox.enqueue(msgs)


class BatchedEvents:
    """What a set-based `add_events` costs: one INSERT .. ON CONFLICT DO NOTHING for the whole batch,
    one SELECT of the rows this call created (bench-only sketch for SQLite; storage inserts row by row)."""

    def __init__(self, db: Database, inner: EventRepo) -> None:
        self.db, self.inner = db, inner

    async def add_events(self, events: Sequence[SignalEvent]) -> list[SignalEvent]:
        if not events:
            return []
        marker = datetime.now(UTC)
        rows = [
            {"symbol": e.symbol, "interval": str(e.interval), "signal": str(e.signal), "ts": e.ts,
             "close": e.close, "strength": e.strength, "values": dict(e.values), "created_at": marker}
            for e in events
        ]  # fmt: skip
        table = SignalEventRow.__table__
        async with self.db.engine.begin() as conn:
            await conn.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
            found = await conn.execute(
                select(table.c.id, table.c.symbol, table.c.signal, table.c.ts).where(
                    table.c.created_at == marker
                )
            )
            ids = {(r.symbol, r.signal, ensure_utc(r.ts)): r.id for r in found}
        return [
            replace(e, id=ids[(e.symbol, str(e.signal), e.ts)])
            for e in events
            if (e.symbol, str(e.signal), e.ts) in ids
        ]

    async def list_events(
        self, symbol: str | None = None, since: datetime | None = None, limit: int = 50
    ) -> list[SignalEvent]:
        return await self.inner.list_events(symbol, since, limit)


def history(m: int, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (n + 1, m)), axis=0))
    volume = np.floor(rng.lognormal(12.0, 0.5, (n + 1, m)))
    # the new bar: some big moves and volume spikes so that a realistic share of instruments fires
    jump = rng.random(m) < 0.1
    close[n, jump] = close[n - 1, jump] * rng.choice([0.9, 1.1], jump.sum())
    spike = rng.random(m) < 0.05
    volume[n, spike] *= 4
    return close, volume


def bars_of(sym: str, close: np.ndarray, volume: np.ndarray, first: int, last: int) -> list[Bar]:
    return [
        Bar(
            sym,
            Interval.D1,
            START + timedelta(days=k),
            float(close[k]),
            float(close[k]),
            float(close[k]),
            float(close[k]),
            float(volume[k]),
            source="bench",
        )
        for k in range(first, last)
    ]


async def setup(db: Database, symbols: list[str], close: np.ndarray, volume: np.ndarray, n: int) -> None:
    """Warm engine state saved as the pipeline's blob; one private chat watching each symbol."""
    engine = SignalEngine(SignalConfig())
    for j, sym in enumerate(symbols):
        engine.warm_up(sym, bars_of(sym, close[:, j], volume[:, j], 0, n))
    last = {s: START + timedelta(days=n - 1) for s in symbols}
    await db.repos.state.put_state("scheduler.signal_state.1d", pack_state(last, engine.dump_state()))
    for j, sym in enumerate(symbols):
        chat = Chat(chat_id=1000 + j, kind=ChatKind.PRIVATE, title=sym)
        await db.repos.chats.upsert_chat(chat)
        await db.repos.watches.upsert_watch(Watch(chat.chat_id, sym))


def raw_insert_reference(path: Path, rows: int) -> float:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(
        "CREATE TABLE ref (id INTEGER PRIMARY KEY, chat_id INTEGER, dedup_key TEXT UNIQUE, "
        "text TEXT, event_id INTEGER, status TEXT, created_at TEXT)"
    )
    now = datetime.now(UTC).isoformat()
    data = [(i, f"{i}|k{i}", "x" * 200, i, "pending", now) for i in range(rows)]
    t0 = time.perf_counter()
    with con:
        con.executemany("INSERT INTO ref (chat_id, dedup_key, text, event_id, status, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", data)  # fmt: skip
    dt = time.perf_counter() - t0
    con.close()
    return dt


async def one_run(
    kind: str, m: int, n: int, close: np.ndarray, volume: np.ndarray, tmp: Path, i: int
) -> dict[str, float]:
    symbols = [f"S{j:05d}" for j in range(m)]
    db = await Database.open(f"sqlite+aiosqlite:///{tmp / f'{kind}{i}.db'}", migrate=True)
    try:
        await setup(db, symbols, close, volume, n)
        repos = db.repos
        if kind == "batch+set_based_events":
            repos = replace(db.repos, events=BatchedEvents(db, db.repos.events))
        notifier: Notifier
        if kind.startswith("batch"):
            notifier = BatchNotifier(db.repos, {s: [1000 + j] for j, s in enumerate(symbols)})
        else:
            notifier = OutboxNotifier(db.repos)
        pipeline = SignalPipeline(repos, notifier, lambda: SignalEngine(SignalConfig()))
        await pipeline.warm([])  # restores the saved state (no per-symbol reads)
        new = {s: bars_of(s, close[:, j], volume[:, j], n, n + 1) for j, s in enumerate(symbols)}
        res = await pipeline.process(new)  # bars in hand -> outbox rows
        rows = await db.repos.outbox.count_pending()
        assert res.bars == m, res.bars
        assert rows == res.enqueued, (rows, res.enqueued)
        return {"total": res.latency_s, **res.timings, "events": float(res.events), "rows": float(rows)}
    finally:
        await db.close()


def engine_loop_reference(m: int, n: int, close: np.ndarray, volume: np.ndarray) -> tuple[float, float]:
    symbols = [f"S{j:05d}" for j in range(m)]
    engines = []
    for _ in range(2):
        e = SignalEngine(SignalConfig())
        for j, sym in enumerate(symbols):
            e.warm_up(sym, bars_of(sym, close[:, j], volume[:, j], n - 210, n))
        engines.append(e)
    new = [bars_of(s, close[:, j], volume[:, j], n, n + 1)[0] for j, s in enumerate(symbols)]
    t0 = time.perf_counter()
    engines[0].on_bars(new)
    vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    for b in new:
        engines[1].on_bar(b)
    loop = time.perf_counter() - t0
    return vec, loop


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instruments", type=int, default=5000)
    ap.add_argument("--history", type=int, default=260)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kinds", default="batch,batch+set_based_events,outbox_notifier")
    args = ap.parse_args()
    m, n = args.instruments, args.history
    close, volume = history(m, n)
    print(f"bar -> outbox: {m} instruments, one new bar each, {n} bars of history (warm state restored)")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        # JIT warm-up of the engine kernel outside the timed runs
        engine_loop_reference(min(m, 50), n, close[:, :50], volume[:, :50])
        for kind in args.kinds.split(","):
            runs = [await one_run(kind, m, n, close, volume, tmp, i) for i in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            verdict = "OK" if med["total"] < 1.0 else "OVER GOAL"
            total_ms = med["total"] * 1000
            print(f"\n[{kind}] median of {args.runs}: total {total_ms:.0f} ms  (goal < 1000 ms: {verdict})")
            print(f"  events {med['events']:.0f}, outbox rows {med['rows']:.0f}")
            for k in ("prepare", "engine", "add_events", "publish"):
                print(f"  {k:<11} {med[k] * 1000:8.1f} ms")
            print(f"  (after: save_state {med['save_state'] * 1000:.1f} ms, not part of bar->outbox)")
            batch_rows = med["rows"]
        ref = raw_insert_reference(tmp / "ref.db", int(batch_rows))
        vec, loop = engine_loop_reference(m, n, close, volume)
    print("\nreferences (same run):")
    print(f"  plain sqlite3 executemany of {batch_rows:.0f} outbox-sized rows: {ref * 1000:.1f} ms")
    ratio = loop / vec
    print(
        f"  engine on_bars (vectorised) {vec * 1000:.1f} ms, on_bar loop {loop * 1000:.1f} ms: x{ratio:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
