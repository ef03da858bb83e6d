"""`bench/bot.py --subscribers N`: delivery of one alert to N subscribers, against the rate-limit bound
measured in the same run. First the references (bench/bot_clients.py): (r) the fake Bot API server's
own capacity, (q) python-telegram-bot alone over aiohttp and over httpx; then

(s) the sender's own cost: N outbox rows drained by the `Sender` (paid-mode options) into a bot that
    answers at once (no HTTP): CPU microseconds and database round trips per message, and the rate
    that cost would allow against the 1,000/s paid bound.
(p) the full stack with paid broadcast on: 10% of the N chats premium, sent with allow_paid_broadcast
    through PTB (over aiohttp, as `bot.app` wires the sender with paid broadcast on; `--http httpx`
    for PTB's stock request) and the rate limiter to the fake Bot API server (in its own process, Telegram's
    limits: 30/s free, 1,000/s paid), then the free backlog for `--free-seconds`. Time from the outbox
    write to the last premium recipient against premium/1000 s; the free rate against 30/s and the
    time to the last free recipient it implies against free/30 s; this process's CPU per message.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import time
from argparse import Namespace
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from bot_clients import client_alone, make_request, server_capacity
from bot_server import FREE_LIMIT, PAID_LIMIT, cpu_s, start_server
from sqlalchemy import event
from telegram.ext import ExtBot

from bot.fastrequest import sender_bot
from bot.ratelimit import ChatRateLimiter
from bot.sender import Sender, paid_sender_options
from core.types import Fanout, Recipient
from storage import Database
from tests.bot.fakes import make_settings


class RoundTrips:
    """Statements the database driver executes (an executemany counts once)."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._hit)

    def _hit(self, *_: Any) -> None:
        self.count += 1


class InstantBot:
    """Answers every send at once: what is left is the Sender's own work (and the database's)."""

    rate_limiter = None

    def __init__(self) -> None:
        self.sent = 0
        self.done = asyncio.Event()
        self.target = 0

    async def send_message(self, chat_id: int, *_: Any, **__: Any) -> Any:
        self.sent += 1
        if self.sent >= self.target:
            self.done.set()
        return SimpleNamespace(message_id=self.sent)

    send_photo = send_message


async def enqueue(db: Database, first: int, n: int, premium_every: int) -> None:
    """One alert to `n` chats as the notifier hands it over: one fan-out (stored as one row; the
    sender's claims write its per-recipient rows, so that cost is in the figures below)."""
    recipients: list[Recipient] = [
        (c, 0, False, None, (c - first) % premium_every == 0) for c in range(first, first + n)
    ]
    fanout = Fanout(f"s{first}", ("<b>KAU25</b> RSI oversold",), (None,), recipients)
    await db.repos.outbox.enqueue_fanouts([fanout])


async def sender_cost(db: Database, n: int) -> float:
    await enqueue(db, 1_000_001, n, 10)
    trips = RoundTrips(db)
    bot = InstantBot()
    bot.target = n
    options = paid_sender_options(make_settings(paid_broadcast=True))
    sender = Sender(bot, db.repos, idle_s=0.01, **options)  # type: ignore[arg-type]
    stop = asyncio.Event()
    c0, t0 = cpu_s(), time.perf_counter()
    task = asyncio.create_task(sender.run(stop))
    await bot.done.wait()
    stop.set()
    await task
    cpu, wall = cpu_s() - c0, time.perf_counter() - t0
    per_us = cpu / n * 1e6
    print(
        f"(s) sender's own cost, {n:,} messages: {per_us:.0f} us CPU and {trips.count / n:.3f} database "
        f"round trips per message ({trips.count:,} in all), wall {wall:.1f}s = {n / wall:,.0f}/s; "
        f"the CPU alone allows {1e6 / per_us:,.0f}/s against the {PAID_LIMIT:,.0f}/s paid bound: "
        f"{'OK, not the bottleneck' if 1e6 / per_us > 2 * PAID_LIMIT else 'MISSED'}"
    )
    return per_us


@dataclass
class Served:
    sent: list[tuple[float, int, bool]]
    refused: int
    violations: int
    cpu: float


def make_bot(http: str, token: str, base_url: str, limiter: ChatRateLimiter, pool: int) -> ExtBot[int]:
    """What `bot.app` gives the sender with paid broadcast on (aiohttp), or the application's bot."""
    if http == "httpx":
        return ExtBot(token, base_url=base_url, rate_limiter=limiter, request=make_request("httpx", 256))
    return sender_bot(token, base_url, base_url.replace("/bot", "/file/bot"), limiter, pool=pool)


def steady_rate(times: list[float]) -> float:
    """Sends per second over the whole seconds after the first (the first holds the burst)."""
    whole = int(times[-1] - times[0] - 1.0)
    if whole < 1:
        return float("nan")
    start = times[0] + 1.0
    return sum(1 for t in times if start <= t < start + whole) / whole


async def full_stack(db: Database, args: Namespace) -> None:
    n, http, concurrency = args.subscribers, args.http, args.concurrency
    premium_n = n // 10
    free_n = n - premium_n
    server, parent = start_server(rtt_s=args.rtt_ms / 1000)
    token, base_url, _, _ = parent.recv()
    settings = make_settings(paid_broadcast=True)
    limiter = ChatRateLimiter(overall_per_s=FREE_LIMIT, paid_per_s=settings.paid_rate_per_second)
    options = paid_sender_options(settings)
    if concurrency:
        options["concurrency"] = concurrency
    tgbot = make_bot(http, token, base_url, limiter, options["concurrency"])
    await tgbot.initialize()
    await enqueue(db, 2_000_001, n, 10)
    trips = RoundTrips(db)
    sender = Sender(tgbot, db.repos, idle_s=0.05, **options)
    stop = asyncio.Event()
    c0, t0 = cpu_s(), time.monotonic()
    task = asyncio.create_task(sender.run(stop))
    while sender.sent < premium_n:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    c_paid, trips_paid = cpu_s() - c0, trips.count
    await asyncio.sleep(args.free_seconds)
    stop.set()
    await task
    await tgbot.shutdown()
    parent.send("stop")
    got = Served(*parent.recv())
    server.join(10)
    paid = sorted(at for at, _, p in got.sent if p)
    free = sorted(at for at, _, p in got.sent if not p)
    premium_s = paid[-1] - t0
    print(
        f"(p) {n:,} subscribers, {premium_n:,} premium with paid broadcast: last premium recipient "
        f"{premium_s:.2f}s after the sender started, {paid[-1] - paid[0]:.2f}s after the first "
        f"({options['concurrency']} sends in flight at most) against the bound {premium_n / PAID_LIMIT:.2f}s "
        f"({premium_s / (premium_n / PAID_LIMIT):.2f}x); {c_paid / premium_n * 1e6:.0f} us CPU and "
        f"{trips_paid / premium_n:.3f} database round trips per message in this process (sender + PTB + "
        f"{http} + SQLite; the fake server runs in its own; round trip {args.rtt_ms:g} ms)"
    )
    steady = steady_rate(free) if free else float("nan")
    if steady > 0:
        left = free_n - len(free)
        implied = (free[-1] - t0) + left / steady
        print(
            f"    free backlog: {len(free):,} of {free_n:,} in {free[-1] - t0:.1f}s, steady {steady:.1f}/s "
            f"against {FREE_LIMIT:g}/s ({steady / FREE_LIMIT * 100:.1f}%); last free recipient at this rate "
            f"{implied:,.0f}s against the bound {premium_n / PAID_LIMIT + free_n / FREE_LIMIT:,.0f}s "
            f"({implied / (premium_n / PAID_LIMIT + free_n / FREE_LIMIT):.3f}x)"
        )
    peak = max(bisect.bisect_left(paid, t + 1.0) - k for k, t in enumerate(paid))
    print(f"    most paid sends in any 1 s: {peak}   429s: {got.refused}   violations: {got.violations}")
    per_s = [
        bisect.bisect_left(paid, t0 + k + 1) - bisect.bisect_left(paid, t0 + k)
        for k in range(int(premium_s) + 1)
    ]
    print(f"    paid sends in each second after the sender started: {per_s}")


async def scale_bench(db: Database, args: Namespace) -> None:
    """`args`: subscribers, free_seconds, concurrency (0: the paid-mode default), http, rtt_ms."""
    n = args.subscribers
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    in_flight = args.concurrency or paid_sender_options(make_settings(paid_broadcast=True))["concurrency"]
    await server_capacity(max(5000, n // 10), in_flight, args.rtt_ms / 1000)
    for client in ("aiohttp", "httpx"):
        await client_alone(min(3000, max(1000, n // 10)), in_flight, client, args.rtt_ms / 1000)
    await sender_cost(db, n)
    await full_stack(db, args)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} after")
