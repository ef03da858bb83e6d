"""The Redis hot tier's L1 (issue 20), ~10 seconds: latest-quote reads through `QuoteCache.lookup` with
the in-process L1 (invalidated by quote events) against the same reads with every one going to Redis
(the L1 emptied before each read), in the same run, on a private redis-server on 127.0.0.1; then the
last hour of minute bars from the database (the reference), from Redis and from L1.

    .venv/bin/python bench/hot_tier.py [--reads 20000] [--symbols 500]

Needs Debian's redis-server (`make test-deps`). Prints reads/s and p50/p99 per read for both paths.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.timeutil import SystemClock
from core.types import Bar, Interval, Quote
from market.hot_quotes import RedisQuoteTier
from market.hot_repos import HotBarRepo
from market.hot_tier import HotTier
from market.quotes import QuoteCache
from market.redis_conn import connect
from storage import Database
from tests.fakes.redis_server import start_redis


async def _run(reads: int, symbols: int, url: str) -> None:
    client = connect(url)
    tier = RedisQuoteTier(client, ttl_s=3600)
    now = datetime.now(UTC)
    names = [f"SYM{i:04d}" for i in range(symbols)]
    writer = QuoteCache(hot=tier)
    for name in names:
        await writer.store(Quote(name, 100.0, now, "bench", prev_close=99.0), now)
    for label, keep_l1 in (("redis every read", False), ("L1 + redis (invalidated by events)", True)):
        cache = QuoteCache(hot=tier)
        times: list[float] = []
        start = time.perf_counter()
        for i in range(reads):
            if not keep_l1:
                cache.invalidate(names[i % symbols])
            t0 = time.perf_counter()
            got = await cache.lookup(names[i % symbols])
            times.append(time.perf_counter() - t0)
            assert got is not None
        total = time.perf_counter() - start
        times.sort()
        p50, p99 = statistics.median(times), times[int(len(times) * 0.99)]
        print(
            f"{label:36s} {reads / total:>11,.0f} reads/s  p50 {p50 * 1e6:7.1f} us  p99 {p99 * 1e6:7.1f} us"
        )
    await client.aclose()


async def _minute_bars(reads: int, symbols: int, url: str, tmp: Path) -> None:
    """The last hour of minute bars: the database (reference), Redis every read, L1 + Redis."""
    db = await Database.open(f"sqlite+aiosqlite:///{tmp / 'bench.db'}")
    client = connect(url)
    tier = HotTier(client, bars_ttl_s=3600, bars_hours=6, flows_ttl_s=60, indicators_ttl_s=60)
    repo = HotBarRepo(db.repos.bars, tier, SystemClock())
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    names = [f"M{i:04d}" for i in range(symbols)]
    for name in names:
        await repo.upsert_bars(
            [Bar(name, Interval.M1, now - timedelta(minutes=m), 10, 11, 9, 10.5, 100) for m in range(360)]
        )
    hour = now - timedelta(hours=1)
    print(f"minute bars: the last hour of one of {symbols} symbols (60 bars) per read")
    for label, read in (
        ("database (reference)", lambda n: db.repos.bars.list_bars(n, Interval.M1, start=hour)),
        ("redis every read", lambda n: _cold_l1(tier, repo, n, hour)),
        ("L1 + redis (invalidated by events)", lambda n: repo.list_bars(n, Interval.M1, start=hour)),
    ):
        times: list[float] = []
        start = time.perf_counter()
        for i in range(reads):
            t0 = time.perf_counter()
            got = await read(names[i % symbols])
            times.append(time.perf_counter() - t0)
            assert len(got) == 61
        total = time.perf_counter() - start
        times.sort()
        p50, p99 = statistics.median(times), times[int(len(times) * 0.99)]
        print(
            f"{label:36s} {reads / total:>11,.0f} reads/s  p50 {p50 * 1e6:7.1f} us  p99 {p99 * 1e6:7.1f} us"
        )
    await client.aclose()
    await db.close()


async def _cold_l1(tier: HotTier, repo: HotBarRepo, name: str, hour: datetime) -> list[Bar]:
    tier.l1.invalidate(f"finsignal:bars:{name}:1m")
    return await repo.list_bars(name, Interval.M1, start=hour)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--symbols", type=int, default=500)
    args = parser.parse_args()
    server = start_redis()
    try:
        asyncio.run(_run(args.reads, args.symbols, server.url))
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(_minute_bars(min(args.reads, 5000), min(args.symbols, 200), server.url, Path(tmp)))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
