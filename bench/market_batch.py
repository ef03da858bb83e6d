"""Benchmark: MarketData.update over many instruments against a local fake source (50 ms latency)
limited to 20 requests/s. Prints wall time against the rate-limit bound (N / rate) and peak memory.

    .venv/bin/python bench/market_batch.py                 # 200 instruments (bound 10 s)
    .venv/bin/python bench/market_batch.py --instruments 1000   # the issue's figure (bound 50 s)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
import string
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: `tests.fakes`

from core.settings import load_settings
from market import MarketData
from market.calendar import warm
from storage import Database
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import daily_rows


def tickers(n: int) -> list[str]:
    letters = string.ascii_uppercase
    return ["".join(p) for p in itertools.islice(itertools.product(letters, repeat=4), n)]


async def run(n: int, rate: float, latency: float) -> None:
    warm()
    fake = FakeSources(latency_s=latency).start()
    start = date.today() - timedelta(days=20)
    for i, sym in enumerate(tickers(n)):
        fake.add_yahoo(sym, daily_rows(start, [100.0 + i % 7 + k * 0.1 for k in range(14)]))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        db = await Database.open(url, migrate=True)
        settings = load_settings(
            **fake.settings_overrides(), database_url=url, yahoo_rate_per_s=rate, market_initial_days=30
        )
        md = MarketData(settings, db.repos)
        instruments = [await md.resolve(s) for s in tickers(n)]
        proc = psutil.Process()
        rss_before = proc.memory_info().rss
        peak = rss_before
        done = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, proc.memory_info().rss)
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        t0 = time.perf_counter()
        result = await md.update(instruments)
        wall = time.perf_counter() - t0
        done.set()
        await sampler
        bars = sum(len(v) for v in result.new_bars.values())
        await md.close()
        await db.close()
    fake.stop()
    bound = n / rate
    print(f"instruments           {n}")
    print(f"source                fake Yahoo on 127.0.0.1, {latency * 1000:.0f} ms, limit {rate:g} req/s")
    print(f"requests              {fake.count('yahoo')}")
    print(f"bars stored           {bars}  (rejected {result.rejected}, failures {len(result.failures)})")
    print(f"wall time             {wall:.2f} s")
    print(f"rate-limit bound      {bound:.2f} s  (N / rate)")
    burst = max(0.0, (n - rate) / rate) + latency
    print(f"  with the bucket's initial burst of {rate:g}: {burst:.2f} s (wall / that = {wall / burst:.3f})")
    print(f"wall / bound          {wall / bound:.3f}  (goal <= 1.10)")
    grown = (peak - rss_before) / 2**20
    print(f"peak RSS              {peak / 2**20:.1f} MiB  (+{grown:.1f} MiB during the batch)")
    print(f"max RSS (getrusage)   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instruments", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second allowed")
    parser.add_argument("--latency", type=float, default=0.05, help="fake source latency in seconds")
    args = parser.parse_args()
    asyncio.run(run(args.instruments, args.rate, args.latency))


if __name__ == "__main__":
    main()
