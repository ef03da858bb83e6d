"""Bot benchmarks through the real python-telegram-bot stack and the fake Bot API server (~1 minute).

    .venv/bin/python bench/bot.py [--price-requests 200] [--deliveries 600] [--faults]
    .venv/bin/python bench/bot.py --subscribers 50000 [--free-seconds 20] [--rtt-ms 0] [--http aiohttp]

(a) /price latency: an update pushed into the fake server's long poll -> the bot's sendMessage reply
    accepted by the server (p50, p99), quote answered from a warm in-memory cache, chats in SQLite.
    Reference measured in the same run: a bare `bot.send_message` round trip to the same server.
    Goal: p99 under 50 ms.
(b) sustained alert delivery: N alerts to N chats drained from the SQLite outbox by the Sender
    against the fake server enforcing Telegram's 30 messages/s (1/s per chat). Goal: >= 95% of the
    limit with zero 429s.
--subscribers N: delivery to N subscribers only (bench/bot_scale.py): the fake server's own capacity and
    PTB alone over aiohttp and httpx as same-run references (bench/bot_clients.py), the sender's own CPU
    and database round trips per message, and the full stack with paid broadcast for premium chats
    against the rate-limit bound (`--free-seconds` of the free backlog; `--rtt-ms` of network round
    trip played by the fake server; `--http httpx` for PTB's stock request in the sender).
--faults: (c) only, under injected per-chat 429s, 403s, 5xx and a read-only database, against the
    same-run no-fault rate (bench/bot_faults.py).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram.ext import ExtBot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

import bot  # noqa: E402, F401  (sets PTB_TIMEDELTA before telegram builds errors)
from bot.app import build_application, run_application  # noqa: E402
from bot.delivery import Sender  # noqa: E402
from bot.ratelimit import ChatRateLimiter  # noqa: E402
from core.types import Chat, ChatKind, OutboxMessage  # noqa: E402
from storage import Database  # noqa: E402
from tests.bot.fakes import make_services, make_settings  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram, Sent  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def price_latency(db: Database, n: int) -> None:
    async with FakeTelegram(max_hold_s=10) as tg:
        settings = make_settings(tg.base_url, token=tg.token, command_rate_per_minute=1000)
        services = make_services(db.repos)
        chats = list(range(50_001, 50_001 + n))
        for cid in chats:
            await db.repos.chats.upsert_chat(Chat(cid, ChatKind.PRIVATE))
        app = build_application(settings, services, run_sender=False)
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=10))
        await tg.wait_for(lambda: tg.calls("getUpdates"))
        # reference: a bare sendMessage round trip through PTB (no rate limiter) to the same server
        ref: list[float] = []
        async with ExtBot(tg.token, base_url=tg.base_url) as plain:
            for cid in range(60_001, 60_101):
                t0 = time.perf_counter()
                await plain.send_message(cid, "ping")
                ref.append((time.perf_counter() - t0) * 1000)
                await asyncio.sleep(0.04)
        lat: list[float] = []
        got = asyncio.Event()
        tg.on_sent = lambda s: got.set()
        for cid in chats:
            got.clear()
            t0 = time.monotonic()
            tg.push_message(cid, "/price FCO2.DE")
            await asyncio.wait_for(got.wait(), 5)
            reply: Sent = tg.sent[-1]
            assert reply.chat_id == cid, reply
            lat.append((reply.at - t0) * 1000)
            await asyncio.sleep(0.03)  # ~25 commands/s: under the 30/s overall limit
        stop.set()
        await task
    print(
        f"/price latency, {n} requests (ms): p50 {statistics.median(lat):6.1f}  p99 {pct(lat, 0.99):6.1f}"
        f"  max {max(lat):6.1f}   goal p99 < 50: {'OK' if pct(lat, 0.99) < 50 else 'MISSED'}"
    )
    print(
        f"reference bare sendMessage (ms): p50 {statistics.median(ref):6.1f}  p99 {pct(ref, 0.99):6.1f}"
        f"   ratio p50 {statistics.median(lat) / statistics.median(ref):4.1f}x"
    )
    print(f"429 answers: {tg.count_429()}   limit violations: {len(tg.violations)}")


async def delivery_rate(db: Database, n: int) -> None:
    chats = list(range(70_001, 70_001 + n))
    for cid in chats:
        await db.repos.chats.upsert_chat(Chat(cid, ChatKind.PRIVATE))
    await db.repos.outbox.enqueue(
        [
            OutboxMessage(cid, f"bench:{cid}", f"<b>KAU25</b> RSI oversold {cid}", kind="alert")
            for cid in chats
        ]
    )
    settings = make_settings()
    async with FakeTelegram() as tg:  # Telegram's limits: 30/s overall, 1/s per chat, 20/min per group
        limiter = ChatRateLimiter(overall_per_s=settings.send_rate_per_second)
        request = HTTPXRequest(connection_pool_size=64)  # what Application.builder() gives app.bot
        tgbot: ExtBot[int] = ExtBot(tg.token, base_url=tg.base_url, rate_limiter=limiter, request=request)
        await tgbot.initialize()
        sender = Sender(tgbot, db.repos, idle_s=0.05)
        stop, done = asyncio.Event(), asyncio.Event()
        tg.on_sent = lambda s: done.set() if len(tg.sent) >= n else None
        task = asyncio.create_task(sender.run(stop))
        await asyncio.wait_for(done.wait(), n / 10)
        stop.set()
        await task
        await tgbot.shutdown()
        times = [s.at for s in tg.sent]
    rate = (len(times) - 1) / (times[-1] - times[0])
    steady = (len(times) - 31) / (times[-1] - times[30])  # after the first full window (burst of 30)
    print(
        f"delivery: {len(times)} alerts in {times[-1] - times[0]:.1f}s = {rate:.1f}/s against the 30/s limit "
        f"= {rate / 30 * 100:.1f}%   429s: {tg.count_429()}   violations: {len(tg.violations)}   "
        f"goal >= 95% with zero 429s: {'OK' if steady >= 28.5 and tg.count_429() == 0 else 'MISSED'}"
    )
    print(f"steady state after the first second: {steady:.1f}/s = {steady / 30 * 100:.1f}% of the limit")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--price-requests", type=int, default=200)
    parser.add_argument("--deliveries", type=int, default=600)
    parser.add_argument("--faults", action="store_true", help="delivery under injected faults only")
    parser.add_argument("--subscribers", type=int, default=0, help="delivery to N subscribers only")
    parser.add_argument("--free-seconds", type=float, default=20.0, help="with --subscribers")
    parser.add_argument("--concurrency", type=int, default=0, help="with --subscribers: sends in flight")
    parser.add_argument("--http", choices=("aiohttp", "httpx"), default="aiohttp", help="with --subscribers")
    parser.add_argument(
        "--rtt-ms", type=float, default=0.0, help="with --subscribers: round trip played by the fake server"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(f"sqlite+aiosqlite:///{tmp}/bench.db", migrate=True)
        try:
            if args.subscribers:
                from bot_scale import scale_bench

                await scale_bench(db, args)
                return
            if args.faults:
                from bot_faults import faults_bench

                await faults_bench(db, args.deliveries)
                return
            await price_latency(db, args.price_requests)
            await delivery_rate(db, args.deliveries)
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
