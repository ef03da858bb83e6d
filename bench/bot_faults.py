"""`bench/bot.py --faults`: outbox delivery through the real PTB stack under injected faults, against
the 30 messages/s bound of the fake Bot API server, measured in the same run.

(r) reference: N alerts to N chats, no faults: the rate-limit bound as this machine reaches it.
(a) per-chat 429s: 10% of the chats answer their first send with 429 retry_after=1.
(b) everything at once: 10% per-chat 429s, 2% 403 (blocked), 2% 5xx, and the database refusing
    writes (read-only) for 1.5 s mid-run. Lost = chats not blocked that got nothing; duplicates =
    chats that got a message more than once.
"""

from __future__ import annotations

import asyncio
import random
import time

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.delivery import Sender
from bot.ratelimit import ChatRateLimiter
from core.types import Chat, ChatKind, OutboxMessage
from storage import Database
from tests.fakes.fake_telegram import FakeTelegram, Sent
from tests.fakes.storage_faults import StorageFaults

LIMIT = 30.0
CONCURRENCY = 16


async def _run(
    db: Database,
    first: int,
    n: int,
    label: str,
    *,
    p429: float,
    p403: float,
    p5xx: float,
    storage_fault: bool,
) -> float:
    rng = random.Random(first)
    chats = list(range(first, first + n))
    for cid in chats:
        await db.repos.chats.upsert_chat(Chat(cid, ChatKind.PRIVATE))
    await db.repos.outbox.enqueue(
        [OutboxMessage(c, f"faults:{c}", f"<b>KAU25</b> RSI oversold {c}", kind="alert") for c in chats]
    )
    faults = StorageFaults(db)
    loop = asyncio.get_running_loop()
    async with FakeTelegram(overall_per_s=LIMIT) as tg:
        blocked: set[int] = set()
        for cid in chats:
            roll = rng.random()
            if roll < p429:
                tg.inject("429", chat_id=cid, retry_after=1)
            elif roll < p429 + p403:
                tg.inject("403", chat_id=cid)
                blocked.add(cid)
            elif roll < p429 + p403 + p5xx:
                tg.inject("500", chat_id=cid)

        def on_sent(_: Sent) -> None:
            if storage_fault and len(tg.sent) == n // 3:
                faults.set("read_only")
                loop.call_later(1.5, faults.clear)

        tg.on_sent = on_sent
        limiter = ChatRateLimiter(overall_per_s=LIMIT)
        request = HTTPXRequest(connection_pool_size=64)
        tgbot: ExtBot[int] = ExtBot(tg.token, base_url=tg.base_url, rate_limiter=limiter, request=request)
        await tgbot.initialize()
        sender = Sender(tgbot, db.repos, idle_s=0.05, backoff_s=0.5, concurrency=CONCURRENCY)
        stop = asyncio.Event()
        t0 = time.monotonic()
        task = asyncio.create_task(sender.run(stop))
        while await db.repos.outbox.count_pending() > 0 and time.monotonic() - t0 < n / 5:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        stop.set()
        await task
        await tgbot.shutdown()
        faults.close()
    times = sorted(s.at for s in tg.sent)
    counts = {c: len(tg.sent_to(c)) for c in chats}
    lost = sum(1 for c in chats if c not in blocked and counts[c] == 0)
    dups = sum(1 for c in chats if counts[c] > 1)
    span = times[-1] - times[0]
    rate = (len(times) - 1) / span
    refused = tg.count_429()
    print(
        f"{label}: {len(times)} delivered in {span:.1f}s = {rate:.1f}/s = {rate / LIMIT * 100:.1f}% of the "
        f"{LIMIT:g}/s limit   429s: {refused} (injected)   lost: {lost}   duplicates: {dups}   "
        f"limit violations: {len(tg.violations)}   storage writes refused: {faults.refused}"
    )
    return rate


async def faults_bench(db: Database, n: int) -> None:
    ref = await _run(db, 200_001, n, "(r) no faults", p429=0, p403=0, p5xx=0, storage_fault=False)
    per_chat = await _run(
        db, 300_001, n, "(a) 10% per-chat 429", p429=0.1, p403=0, p5xx=0, storage_fault=False
    )
    await _run(
        db, 400_001, n, "(b) 429+403+5xx+read-only DB", p429=0.1, p403=0.02, p5xx=0.02, storage_fault=True
    )
    verdict = "OK" if per_chat >= 0.9 * LIMIT else "MISSED"
    print(
        f"per-chat 429s: {per_chat / LIMIT * 100:.1f}% of the limit, {per_chat / ref * 100:.1f}% of the "
        f"no-fault run; goal >= 90% of the limit: {verdict}"
    )
