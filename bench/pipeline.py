"""Benchmark of the bar -> alert path: N instruments, one new bar each, from bars in hand to every
outbox row written in a real database (SQLite file in WAL mode, and/or a private MariaDB server
started as the tests start theirs), through the scheduler's SignalPipeline.

    .venv/bin/python bench/pipeline.py [--instruments 5000] [--chats 50000] [--watchers 10] [--runs 5]
                                       [--database sqlite,mariadb] [--gc-freeze] [--profile PREFIX]

`--chats` is the number of chats in all; each instrument is watched by `--watchers` of them (default
chats / instruments), chat c by instrument order, so 5,000 instruments and 50,000 chats give 10 chats
per instrument and one watch per chat.

Variants: `outbox_notifier` (the live path: SignalEngine -> repos.events.add_events ->
bot.delivery.OutboxNotifier.publish -> repos.outbox.enqueue, each instrument watched by `--watchers`
chats in English and Korean, some in quiet hours, with instrument names and backtest ratings stored),
`live_close` (issue 24: the same as the runtime wires it now, chats' own alerts checked in the same
pass and a chat's alerts of one close folded into one digest; `--kinds outbox_notifier,live_close`
shows what that costs), and `batch` (the same events, one unrendered fan-out per event to its chats in one
enqueue: a floor for the notifier). Goal: < 500 ms. References measured in the same run: the same
number of outbox-sized rows inserted with plain sqlite3 executemany (a floor for the database part;
on MariaDB also a plain PyMySQL executemany, which the driver sends as multi-row INSERTs), and the
engine's per-bar `on_bar` loop against its vectorised `on_bars`. The machine's load average is
printed with the figures.
With `--gc-freeze` the objects alive before each timed run are moved out of the collector's reach
(gc.freeze(), as a long-running process can do after start-up): full collections over the large
heap are a visible share of the run-to-run jitter.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# run as a script, this folder comes first on sys.path and bench/signals.py would shadow the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.fakes.mariadb for --database

import numpy as np  # noqa: E402
from sqlalchemy import delete, insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.delivery import OutboxNotifier  # noqa: E402
from core.ports import Notifier, Repositories  # noqa: E402
from core.types import (  # noqa: E402
    Bar,
    Fanout,
    Instrument,
    Interval,
    Market,
    Rating,
    SignalEvent,
    SignalType,
)
from scheduler.pipeline import SignalPipeline, pack_state  # noqa: E402
from scheduler.user_alerts import UserAlertWatcher  # noqa: E402
from signals import SignalConfig, SignalEngine  # noqa: E402
from signals.user_alerts import Margins  # noqa: E402
from storage import Database  # noqa: E402
from storage.models import (  # noqa: E402
    ChatRow,
    OutboxFanoutRow,
    OutboxRow,
    SignalEventRow,
    StateRow,
    WatchRow,
)
from storage.repos.base import chunked  # noqa: E402

START = datetime(2025, 1, 1, tzinfo=UTC)


class BatchNotifier:
    """One unrendered fan-out per event to its watching chats, all in one enqueue: the minimal outbox
    writer (no reads, no filters, no rendering), a floor for the notifier."""

    def __init__(self, repos: Repositories, watchers: dict[str, list[int]]) -> None:
        self.repos = repos
        self.watchers = watchers

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        fanouts = [
            Fanout(
                key=f"{e.key}",
                texts=(f"{e.symbol} {e.signal} {e.close:.2f}",),
                markups=(None,),
                recipients=[(c, 0, False, None, False) for c in self.watchers.get(e.symbol, ())],
                event_id=e.id,
            )
            for e in events
        ]
        return await self.repos.outbox.enqueue_fanouts(fanouts)


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


class GcPauses:
    """gc.callbacks hook: time spent in collections during a run, and how many were full (gen 2)."""

    def __init__(self) -> None:
        self.seconds, self.full, self._t0 = 0.0, 0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._t0
            self.full += info["generation"] == 2


GOAL_S = 0.5


def chats_of(j: int, chats: int, watchers: int) -> list[int]:
    """Chat ids watching instrument j: `watchers` consecutive chats from j * watchers (mod chats)."""
    return [1000 + (j * watchers + k) % chats for k in range(watchers)]


STATE_KEY = "scheduler.signal_state.1d"


async def build_template(
    url: str,
    symbols: list[str],
    close: np.ndarray,
    volume: np.ndarray,
    n: int,
    chats: int,
    watchers: int,
) -> bytes:
    """Warm engine state saved as the pipeline's blob (returned too); instruments with names and
    ratings; `chats` chats, `watchers` per instrument (every 4th Korean, every 10th in quiet hours
    (hold) at 09:00 KST)."""
    db = await Database.open(url, migrate=True)
    try:
        engine = SignalEngine(SignalConfig())
        for j, sym in enumerate(symbols):
            engine.warm_up(sym, bars_of(sym, close[:, j], volume[:, j], 0, n))
        last = {s: START + timedelta(days=n - 1) for s in symbols}
        blob = pack_state(last, engine.dump_state())
        await db.repos.state.put_state(STATE_KEY, blob)
        await db.repos.instruments.upsert_instruments(
            Instrument(s, f"Bench Instrument {s} Holdings", Market.US, "USD", "America/New_York")
            for s in symbols
        )
        period = (START - timedelta(days=3650), START)
        await db.repos.ratings.upsert_ratings(
            [
                Rating(s, sig, h, 40, 0.55, 0.01, 0.008, 0.002, 0.02, 1.8, -0.05, "B", *period)
                for s in symbols
                for sig in SignalType
                for h in (5, 20)
            ]
        )
        now = datetime.now(UTC)
        every = tuple(sorted(str(sig) for sig in SignalType))
        chat_rows = [
            {"chat_id": 1000 + c, "kind": "private", "title": f"c{c}", "tier": "free",
             "language": "ko" if c % 4 == 0 else "en", "timezone": "Asia/Seoul", "active": True,
             "silent": c % 7 == 0, "quiet_start": 0 if c % 10 == 0 else None,
             "quiet_end": 23 if c % 10 == 0 else None, "quiet_mode": "hold", "signals": every,
             "news_alerts": False, "created_at": now, "updated_at": now}
            for c in range(chats)
        ]  # fmt: skip
        watches = [
            {"chat_id": c, "symbol": s, "signals": every, "muted": (), "created_at": now}
            for j, s in enumerate(symbols)
            for c in chats_of(j, chats, watchers)
        ]
        async with db.engine.begin() as conn:
            for part in chunked(chat_rows, 5000):
                await conn.execute(insert(ChatRow.__table__), list(part))
            for part in chunked(watches, 5000):
                await conn.execute(insert(WatchRow.__table__), list(part))
        return blob
    finally:
        await db.close()


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


def mysql_insert_reference(url: str, rows: int) -> float:
    """The same rows through plain PyMySQL executemany (sent as multi-row INSERTs), one transaction."""
    import pymysql  # type: ignore[import-untyped]  # only with --database mariadb

    u = make_url(url)
    con = pymysql.connect(
        host=u.host, port=u.port or 3306, user=u.username, password=u.password, database=u.database
    )
    try:
        with con.cursor() as cur:
            cur.execute(
                "CREATE TABLE ref (id BIGINT AUTO_INCREMENT PRIMARY KEY, chat_id BIGINT, "
                "dedup_key VARCHAR(191) UNIQUE, text TEXT, event_id BIGINT, status VARCHAR(16), "
                "created_at DATETIME(6))"
            )
            now = datetime.now(UTC).replace(tzinfo=None)
            data = [(i, f"{i}|k{i}", "x" * 200, i, "pending", now) for i in range(rows)]
            t0 = time.perf_counter()
            cur.executemany("INSERT INTO ref (chat_id, dedup_key, text, event_id, status, created_at) "
                            "VALUES (%s, %s, %s, %s, %s, %s)", data)  # fmt: skip
            con.commit()
            return time.perf_counter() - t0
    finally:
        con.close()


def allow_state_blob(admin: Any) -> None:
    """The saved engine state of 5,000 instruments goes as one hex-encoded parameter, over the 16 MiB
    max_allowed_packet a MariaDB server starts with: raised for this server (see bench/README.md)."""
    import pymysql  # type: ignore[import-untyped]  # only with --database mariadb

    con = pymysql.connect(host=admin.host, port=admin.port, user=admin.username, password=admin.password)
    with con, con.cursor() as cur:
        cur.execute("SET GLOBAL max_allowed_packet = 1073741824")


class Target:
    """One database the runs go to: a SQLite file copied fresh per run, or a MariaDB database whose
    events and outbox are emptied and whose saved engine state is put back before each run."""

    def __init__(self, kind: str, tmp: Path, server: Any = None) -> None:
        self.kind, self.tmp, self.server = kind, tmp, server
        self.url = (
            f"sqlite+aiosqlite:///{tmp / 'template.db'}"
            if kind == "sqlite"
            else server.create_database("bench")
        )
        self.blob = b""

    async def fresh(self, label: str) -> str:
        if self.kind == "sqlite":
            path = self.tmp / f"{label}.db"
            shutil.copyfile(self.tmp / "template.db", path)
            return f"sqlite+aiosqlite:///{path}"
        db = await Database.open(self.url, migrate=False)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(delete(OutboxRow.__table__))
                await conn.execute(delete(OutboxFanoutRow.__table__))
                await conn.execute(delete(SignalEventRow.__table__))
                # the last run's save left its token: without this the run would restore the state
                # it holds in memory (another process saved, as far as it can tell) inside the timing
                await conn.execute(delete(StateRow.__table__).where(StateRow.key == f"{STATE_KEY}.token"))
            await db.repos.state.put_state(STATE_KEY, self.blob)
        finally:
            await db.close()
        return self.url

    def reference(self, rows: int) -> tuple[str, float]:
        """The plain-driver floor for inserting `rows` outbox-sized rows into this kind of database."""
        if self.kind == "sqlite":
            return "plain sqlite3 executemany", raw_insert_reference(self.tmp / "ref.db", rows)
        return "plain PyMySQL executemany", mysql_insert_reference(self.url, rows)


async def one_run(
    kind: str,
    m: int,
    n: int,
    close: np.ndarray,
    volume: np.ndarray,
    url: str,
    chats: int,
    w: int,
    freeze: bool,
    profile: str = "",
) -> dict[str, float]:
    symbols = [f"S{j:05d}" for j in range(m)]
    db = await Database.open(url, migrate=False)
    try:
        notifier: Notifier
        if kind == "batch":
            notifier = BatchNotifier(db.repos, {s: chats_of(j, chats, w) for j, s in enumerate(symbols)})
        else:
            notifier = OutboxNotifier(db.repos)
        # live_close (issue 24): as the runtime wires it, own alerts checked in the same pass and the
        # close's alerts folded into one digest per chat (OutboxNotifier.publish_close)
        alerts = UserAlertWatcher(db.repos, Margins()) if kind == "live_close" else None
        pipeline = SignalPipeline(db.repos, notifier, lambda: SignalEngine(SignalConfig()), alerts=alerts)
        await pipeline.warm([])  # restores the saved state (no per-symbol reads)
        new = {s: bars_of(s, close[:, j], volume[:, j], n, n + 1) for j, s in enumerate(symbols)}
        if freeze:  # what a long-running process gains from gc.freeze() after start-up
            gc.collect()
            gc.freeze()
        pauses = GcPauses()
        gc.callbacks.append(pauses)
        prof = cProfile.Profile() if profile else None
        try:
            if prof is not None:
                prof.enable()
            res = await pipeline.process(new)  # bars in hand -> outbox rows
        finally:
            if prof is not None:
                prof.disable()
                prof.dump_stats(profile)
            gc.callbacks.remove(pauses)
            gc.unfreeze()
        rows = await db.repos.outbox.count_pending()
        # after the close, the sender's side: its first claim (which expands the first fan-outs),
        # then every other fan-out expanded into rows, as its later claims do a little at a time
        t0 = time.perf_counter()
        first = await db.repos.outbox.claim_pending(datetime.now(UTC), limit=100, owner="bench")
        t1 = time.perf_counter()
        await db.repos.outbox.release([msg.id for msg in first if msg.id is not None])
        t2 = time.perf_counter()
        await db.repos.outbox.expand_fanouts()
        t3 = time.perf_counter()
        assert rows == await db.repos.outbox.count_pending()
        assert res.bars == m, res.bars
        assert rows == res.enqueued or kind == "live_close", (rows, res.enqueued)  # digests fold rows
        assert res.events == len(res.new_events), (res.events, len(res.new_events))
        return {
            "total": res.latency_s,
            **res.timings,
            "events": float(res.events),
            "rows": float(rows),
            "gc_full": float(pauses.full),
            "gc_s": pauses.seconds,
            "first_claim": t1 - t0,
            "expand_rest": t3 - t2,
        }
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


async def bench_database(
    target: Target,
    args: argparse.Namespace,
    symbols: list[str],
    close: np.ndarray,
    volume: np.ndarray,
    chats: int,
    w: int,
) -> float:
    """Every kind's runs on one database, printed; returns the most outbox rows a kind wrote."""
    m, n = len(symbols), args.history
    target.blob = await build_template(target.url, symbols, close, volume, n, chats, w)
    most_rows = 0.0
    for kind in args.kinds.split(","):
        runs = []
        for i in range(args.runs):
            url = await target.fresh(f"{kind}{i}")
            last = args.profile and i == args.runs - 1
            profile = f"{args.profile}.{target.kind}.{kind}" if last else ""
            runs.append(await one_run(kind, m, n, close, volume, url, chats, w, args.gc_freeze, profile))
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        verdict = "OK" if med["total"] < GOAL_S else "OVER GOAL"
        totals = ", ".join(f"{r['total'] * 1000:.0f}" for r in runs)
        print(f"\n[{target.kind} {kind}] median of {args.runs}: total {med['total'] * 1000:.0f} ms  "
              f"(goal < {GOAL_S * 1000:.0f} ms: {verdict}; runs: {totals} ms)")  # fmt: skip
        print(f"  events {med['events']:.0f}, outbox rows {med['rows']:.0f}; bar->outbox CPU of this process "
              f"{med['cpu'] * 1000:.0f} ms (less sensitive than wall time to other load)")  # fmt: skip
        for k in ("prepare", "engine", "add_events", "publish"):
            print(f"  {k:<11} {med[k] * 1000:8.1f} ms")
        print(f"  (after: save_state {med['save_state'] * 1000:.1f} ms, then reading ahead watchers, "
              f"instruments and ratings for the next close {med['read_ahead'] * 1000:.1f} ms; "
              f"not part of bar->outbox)")  # fmt: skip
        print(f"  (after, the sender's side: first claim of 100 {med['first_claim'] * 1000:.1f} ms, "
              f"expanding the other fan-outs into rows {med['expand_rest'] * 1000:.1f} ms, spread "
              f"over its later claims)")  # fmt: skip
        print(f"  (inside: garbage collection {med['gc_s'] * 1000:.1f} ms, {med['gc_full']:.0f} full)")
        most_rows = max(most_rows, med["rows"])
    return most_rows


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instruments", type=int, default=5000)
    ap.add_argument("--chats", type=int, default=0, help="chats in all (default: one per instrument)")
    ap.add_argument(
        "--watchers", type=int, default=0, help="chats per instrument (chats/instruments; 3 without --chats)"
    )
    ap.add_argument("--history", type=int, default=260)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kinds", default="outbox_notifier,batch")
    ap.add_argument("--database", default="sqlite", help="sqlite, mariadb or both: sqlite,mariadb")
    ap.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() the objects alive before each timed run (no full collections over them)",
    )
    ap.add_argument(
        "--profile", default="", help="cProfile the last run of each kind into PREFIX.DATABASE.KIND (pstats)"
    )
    args = ap.parse_args()
    m, n = args.instruments, args.history
    chats = args.chats or m
    w = args.watchers or (max(1, chats // m) if args.chats else 3)
    close, volume = history(m, n)
    print(
        f"bar -> outbox: {m} instruments, one new bar each, {n} bars of history (warm state restored), "
        f"{chats} chats, {w} watching each instrument"
        + (", gc.freeze() before each run" if args.gc_freeze else "")
    )
    load = os.getloadavg()
    server = None
    refs: list[str] = []
    rows = 0.0
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        # JIT warm-up of the engine kernel outside the timed runs
        engine_loop_reference(min(m, 50), n, close[:, :50], volume[:, :50])
        symbols = [f"S{j:05d}" for j in range(m)]
        try:
            for database in args.database.split(","):
                if database == "mariadb" and server is None:
                    from tests.fakes.mariadb import MySQLTestServer, start_mariadb

                    server = MySQLTestServer.from_env() or start_mariadb()
                    allow_state_blob(server.admin_url)
                    print(f"\nMariaDB: {server.describe()}")
                target = Target(database, tmp, server)
                most_rows = await bench_database(target, args, symbols, close, volume, chats, w)
                rows = max(rows, most_rows)
                if database != "sqlite":
                    label, ref = target.reference(int(most_rows))
                    refs.append(f"  {label} of {most_rows:.0f} outbox-sized rows: {ref * 1000:.1f} ms")
        finally:
            if server is not None:
                server.stop()
        label, ref = Target("sqlite", tmp).reference(int(rows))
        refs.insert(0, f"  {label} of {rows:.0f} outbox-sized rows: {ref * 1000:.1f} ms")
        vec, loop = engine_loop_reference(m, n, close, volume)
    print("\nreferences (same run):")
    print("\n".join(refs))
    ratio = loop / vec
    print(
        f"  engine on_bars (vectorised) {vec * 1000:.1f} ms, on_bar loop {loop * 1000:.1f} ms: x{ratio:.1f}"
    )
    after = os.getloadavg()
    print(f"  load average (1, 5, 15 min) before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f} on {os.cpu_count()} CPUs")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
