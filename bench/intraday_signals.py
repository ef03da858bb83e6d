"""Benchmark: what intraday signals add to a live minute round (issue 21).

A round of `update_minute_bars.krx` stores each followed stock's new 1-minute bar; with intraday
signals it then builds the closed 5m/15m buckets from the stored 1m bars, stores them and runs the
1m/5m/15m engines (events to the outbox). Measured on SQLite, N stocks all watched on 1m, 5m and 15m,
after a warm-up session, over R consecutive minutes:

- reference (same run): storing the round's 1-minute bars alone (what the round does anyway);
- intraday: `IntradaySignals.on_minutes` for the same bars;
- the bound the KIS rate limit sets on the round's fetching: N calls / 20 per second;
- the same rounds building every bucket from storage (one query per stock and timeframe), as before
  the bars handed over were kept in memory: the figure that decision rests on.

    .venv/bin/python bench/intraday_signals.py                 # 100 stocks, 30 rounds
    .venv/bin/python bench/intraday_signals.py --symbols 20 --rounds 10
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.delivery import OutboxNotifier
from core.types import Bar, Chat, ChatKind, Interval, Watch
from scheduler.engines import engine_factory
from scheduler.intraday import IntradaySignals
from signals import SignalConfig
from storage import Database

OPEN = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 09:00 KST
CLOSE = OPEN + timedelta(hours=6, minutes=30)
EVERY = frozenset({Interval.M1, Interval.M5, Interval.M15})


def minute(symbol: str, ts: datetime, rng: random.Random, price: float) -> tuple[Bar, float]:
    c = price * (1 + rng.gauss(0, 0.002))
    return Bar(symbol, Interval.M1, ts, price, max(price, c), min(price, c), c, rng.randint(100, 5000)), c


class FromStorage(IntradaySignals):
    """Builds every bucket from stored 1m bars (keeps nothing handed over)."""

    def _remember(self, symbol: str, ones: list[Bar]) -> None:
        return None


async def run(n: int, rounds: int, cls: type[IntradaySignals]) -> tuple[list[float], list[float]]:
    rng = random.Random(1)
    symbols = [f"{i:06d}.KS" for i in range(n)]
    prices = dict.fromkeys(symbols, 10_000.0)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(f"sqlite+aiosqlite:///{tmp}/bench.db")
        repos = db.repos
        await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
        for s in symbols:
            await repos.watches.upsert_watch(Watch(1, s, intervals=EVERY))
        intraday = cls(repos, OutboxNotifier(repos), SignalConfig(), engine_factory)
        warm: list[Bar] = []
        for k in range(240):  # the morning so far: engines warm from it on their first round
            for s in symbols:
                bar, prices[s] = minute(s, OPEN + timedelta(minutes=k), rng, prices[s])
                warm.append(bar)
        await repos.bars.upsert_bars(warm)
        first = OPEN + timedelta(minutes=240)
        by_symbol: dict[str, list[Bar]] = {}
        for b in warm:
            by_symbol.setdefault(b.symbol, []).append(b)
        await intraday.on_minutes(by_symbol, first, CLOSE)  # warm-up round (not timed)
        store_s, signal_s = [], []
        for r in range(rounds):
            ts = first + timedelta(minutes=r)
            new = {}
            for s in symbols:
                bar, prices[s] = minute(s, ts, rng, prices[s])
                new[s] = [bar]
            t0 = time.perf_counter()
            await repos.bars.upsert_bars([b for bars in new.values() for b in bars])
            t1 = time.perf_counter()
            await intraday.on_minutes(new, ts + timedelta(minutes=1, seconds=5), CLOSE)
            t2 = time.perf_counter()
            store_s.append(t1 - t0)
            signal_s.append(t2 - t1)
        await db.close()
    return store_s, signal_s


async def main(n: int, rounds: int) -> None:
    store_s, signal_s = await run(n, rounds, IntradaySignals)
    _, storage_s = await run(n, rounds, FromStorage)
    bound = n / 20
    five = signal_s[4::5]  # rounds that close a 5-minute bucket (and every third a 15-minute one)
    print(f"{n} stocks x {rounds} rounds, watched on 1m/5m/15m")
    print(f"reference: storing the round's 1m bars   median {statistics.median(store_s) * 1000:7.1f} ms")
    print(f"intraday signals per round               median {statistics.median(signal_s) * 1000:7.1f} ms, "
          f"max {max(signal_s) * 1000:.1f} ms")  # fmt: skip
    print(f"  rounds closing a 5m bucket              median {statistics.median(five) * 1000:7.1f} ms")
    med, slow, worst = statistics.median(storage_s), statistics.median(storage_s[4::5]), max(storage_s)
    print(f"from storage every round                 median {med * 1000:7.1f} ms, "
          f"5m rounds {slow * 1000:.1f} ms, max {worst * 1000:.1f} ms")  # fmt: skip
    print(f"the round's fetch bound (N/20 per s)     {bound * 1000:9.1f} ms")
    print(f"intraday share of the bound              {statistics.median(signal_s) / bound:9.1%}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--symbols", type=int, default=100)
    p.add_argument("--rounds", type=int, default=30)
    a = p.parse_args()
    asyncio.run(main(a.symbols, a.rounds))
