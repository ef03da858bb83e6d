"""Benchmark: KIS minute-bar backfill and the live updater's minute round, against the bound that KIS's
request limit sets, measured in the same run through the KIS stand-in (tests/fakes/fake_kis.py), which
refuses more than `--limit` requests in any one-second window (HTTP 500 EGW00201) and answers after
`--latency` seconds.

Backfill: `MarketData.fetch_history(..., interval=1m, days=D)` for N symbols of the universe. A past
session is 381 minute rows, 4 calls of at most 120; the bound is (N x sessions x 4 + 1 token) / limit.
Live round: the same N symbols one minute after the previous round (30 rows a call: 1 call a symbol);
the bound is N / limit.

    .venv/bin/python bench/kis_backfill.py                           # 100 symbols x 30 days (about 7 min)
    .venv/bin/python bench/kis_backfill.py --symbols 20 --days 10    # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: `tests.fakes`

from core.settings import load_settings
from core.types import Interval
from market import MarketData
from market.calendar import trading_days, warm
from market.service import UpdateResult
from market.universe import krx_universe
from storage import Database
from tests.fakes.fake_kis import APP_KEY, APP_SECRET, KST


class Clock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


async def run(symbols: int, days: int, limit: float, latency: float) -> None:
    warm()
    universe = krx_universe()[:symbols]
    # Monday 2026-11-23, 10:00:20 KST: the backfill's window ends today, mid-session
    clock = Clock(datetime(2026, 11, 23, 10, 0, 20, tzinfo=KST).astimezone(UTC))
    with (
        tempfile.TemporaryDirectory() as tmp,
        standin(limit, latency, clock.current) as kis,
    ):
        db = await Database.open(f"sqlite+aiosqlite:///{tmp}/bench.db")
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
            **kis.settings_overrides(market_batch_concurrency=64, market_source_concurrency=64),
        )
        md = MarketData(settings, db.repos, clock=clock)
        today = clock.current.astimezone(KST).date()
        sessions = trading_days(universe[0].market, today - timedelta(days=days), today)
        past = [d for d in sessions if d < today]
        started = time.perf_counter()
        result = await md.fetch_history(universe, interval=Interval.M1, days=days)
        wall = time.perf_counter() - started
        bound_calls = len(universe) * (len(past) * 4 + 3) + 1  # today at 10:00: 61 rows, 3 calls of 30
        print(f"backfill: {len(universe)} symbols x {days} days ({len(past)} past sessions + today)")
        report(kis.stats(), result, 0, wall, bound_calls, limit)

        clock.current += timedelta(minutes=1)
        before = kis.stats()
        started = time.perf_counter()
        live = await md.update(universe, Interval.M1)
        wall = time.perf_counter() - started
        print(f"live round: {len(universe)} symbols, one minute after the last")
        report(kis.stats(), live, before, wall, len(universe), limit)
        await md.close()
        await db.close()


def report(
    stats: dict[str, int],
    result: UpdateResult,
    before: dict[str, int] | int,
    wall: float,
    bound: int,
    limit: float,
) -> None:
    base = before if isinstance(before, dict) else {"calls": 0, "over_limit": 0}
    calls, refused = stats["calls"] - base["calls"], stats["over_limit"] - base["over_limit"]
    bars = sum(len(b) for b in result.new_bars.values())
    print(
        f"  {bars:,} new minute bars, {calls:,} calls, {refused} over-limit answers,",
        f"{len(result.failures)} failed",
    )
    bound_s = bound / limit
    print(
        f"  wall {wall:.2f} s; bound {bound_s:.2f} s ({bound:,} calls at {limit:g}/s): {wall / bound_s:.2f}x"
    )


class Standin:
    """The KIS stand-in in a process of its own (it must not share this interpreter's lock)."""

    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc, self.url = proc, url

    def settings_overrides(self, **extra: object) -> dict[str, object]:
        return {"kis_base_url": self.url, "kis_app_key": APP_KEY, "kis_app_secret": APP_SECRET, **extra}

    def stats(self) -> dict[str, int]:
        return dict(httpx.get(self.url + "/_stats").json())


@contextlib.contextmanager
def standin(limit: float, latency: float, start: datetime) -> Iterator[Standin]:
    cmd = [sys.executable, "-m", "tests.fakes.fake_kis", "--rate", str(limit), "--latency", str(latency)]
    root = Path(__file__).resolve().parent.parent
    with subprocess.Popen(
        [*cmd, "--start", start.isoformat()],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdin is not None
        yield Standin(proc, proc.stdout.readline().strip())
        proc.stdin.close()


def main() -> None:
    doc = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=doc)
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--limit", type=float, default=20.0, help="KIS requests per second (real account)")
    parser.add_argument("--latency", type=float, default=0.03, help="seconds per answer")
    args = parser.parse_args()
    asyncio.run(run(args.symbols, args.days, args.limit, args.latency))


if __name__ == "__main__":
    main()
