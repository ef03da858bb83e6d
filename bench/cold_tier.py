"""The cold tier (issue 20), ~1 minute: archive throughput (database -> monthly Parquet, verified,
deleted) and the latency of reading a symbol's bars through `repos.bars` from the database before
archiving (the reference) against the same range from Parquet after, in the same run, on SQLite.

    .venv/bin/python bench/cold_tier.py [--symbols 200] [--years 10] [--reads 300]

Prints bars/s archived, bytes per bar in each tier, and p50/p99 per read: one year of daily bars
(inside the archive), the latest 260 bars (the live pipeline's warm-up, in the database), the whole
history (both tiers).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.types import Bar, Interval, Market
from market.resolver import make_instrument
from storage import Database
from storage.archive import archive_bars
from storage.cold import ColdBarStore
from storage.repos.archive import SqlArchiveRepo
from storage.tiered import TieredBarRepo

END = datetime(2026, 11, 30, tzinfo=UTC)


def history(symbol: str, years: int) -> list[Bar]:
    days = int(years * 365.25)
    out = []
    for i in range(days):
        ts = END - timedelta(days=days - i)
        if ts.weekday() >= 5:
            continue
        close = 100 + 20 * math.sin(i / 40) + i * 0.01
        out.append(
            Bar(symbol, Interval.D1, ts, close - 1, close + 1.5, close - 2, close, 1e6 + i, source="yahoo")
        )
    return out


async def timed(label: str, reads: int, call: Callable[[int], Awaitable[int]]) -> None:
    times, rows = [], 0
    for i in range(reads):
        t0 = time.perf_counter()
        rows += await call(i)
        times.append(time.perf_counter() - t0)
    times.sort()
    p50, p99 = statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"  {label:44s} p50 {p50 * 1e3:7.2f} ms  p99 {p99 * 1e3:7.2f} ms  ({rows / reads:,.0f} bars/read)")


async def reads(repo: TieredBarRepo, names: list[str], count: int, title: str) -> None:
    year = (datetime(2019, 1, 1, tzinfo=UTC), datetime(2019, 12, 31, tzinfo=UTC))
    print(title)

    async def one_year(i: int) -> int:
        return len(await repo.list_bars(names[i % len(names)], Interval.D1, *year))

    async def latest(i: int) -> int:
        return len(await repo.list_bars(names[i % len(names)], Interval.D1, limit=260))

    async def everything(i: int) -> int:
        return len(await repo.list_bars(names[i % len(names)], Interval.D1))

    await timed("one year, 2019 (archived after)", count, one_year)
    await timed("latest 260 bars (stays in the database)", count, latest)
    await timed("whole history (both tiers after)", max(count // 10, 10), everything)


async def run(symbols: int, years: int, count: int, tmp: Path) -> None:
    db_path = tmp / "bench.db"
    db = await Database.open(f"sqlite+aiosqlite:///{db_path}")
    names = [f"SYM{i:04d}" for i in range(symbols)]
    await db.repos.instruments.upsert_instruments([make_instrument(n, Market.US) for n in names])
    total = 0
    for name in names:
        bars = history(name, years)
        total += len(bars)
        await db.repos.bars.upsert_bars(bars)
    cold = ColdBarStore(tmp / "cold")
    repo = TieredBarRepo(db.repos.bars, db.repos.instruments, cold)
    db_bytes = sum(p.stat().st_size for p in tmp.glob("bench.db*"))  # noqa: ASYNC240 (a bench's sizes)
    print(f"{symbols} symbols x {years} years: {total:,} daily bars in SQLite ({db_bytes / total:.0f} B/bar)")
    await reads(repo, names, count, "reference: every bar in the database")

    t0 = time.perf_counter()
    report = await archive_bars(
        SqlArchiveRepo(db.sessions, db.dialect), cold, cutoff=END - timedelta(days=730)
    )
    took = time.perf_counter() - t0
    parquet = sum(p.stat().st_size for p in (tmp / "cold").rglob("*.parquet"))
    print(
        f"archive: {report.bars:,} bars in {len(report.months)} monthly files, {took:.1f} s, "
        f"{report.bars / took:,.0f} bars/s; Parquet {parquet / report.bars:.1f} B/bar"
    )
    await reads(repo, names, count, "after archiving (older than 2 years in Parquet)")
    await db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--reads", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.symbols, args.years, args.reads, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
