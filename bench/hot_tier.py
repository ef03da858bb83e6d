"""The Redis hot tier's L1 (issue 20), ~10 seconds: latest-quote reads through `QuoteCache.lookup` with
the in-process L1 (invalidated by quote events) against the same reads with every one going to Redis
(the L1 emptied before each read), in the same run, on a private redis-server on 127.0.0.1.

    .venv/bin/python bench/hot_tier.py [--reads 20000] [--symbols 500]

Needs Debian's redis-server (`make test-deps`). Prints reads/s and p50/p99 per read for both paths.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.types import Quote
from market.hot_quotes import RedisQuoteTier
from market.quotes import QuoteCache
from market.redis_conn import connect
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--symbols", type=int, default=500)
    args = parser.parse_args()
    server = start_redis()
    try:
        asyncio.run(_run(args.reads, args.symbols, server.url))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
