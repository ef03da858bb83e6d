"""Delivery at scale (issue 25): paid broadcast for premium chats only, premium first under a backlog,
no 429 at Telegram's free limits. Real PTB over HTTP to the fake Bot API server, real databases."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import pytest
from telegram.error import NetworkError
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.app import build_application, run_application
from bot.delivery import OutboxNotifier, Sender
from bot.fastrequest import AiohttpRequest
from bot.ratelimit import ChatRateLimiter
from core.ports import Repositories
from core.types import Chat, ChatKind, OutboxMessage, Tier
from tests.bot.fakes import make_services, make_settings
from tests.bot.test_delivery import EVENT, stored_event, watchers
from tests.fakes.fake_telegram import FakeTelegram, Sent

PREMIUM = [901, 902, 903]
FREE = [911, 912, 913]


async def add_chats(repos: Repositories, ids: list[int], tier: Tier) -> None:
    for cid in ids:
        await repos.chats.upsert_chat(Chat(cid, ChatKind.PRIVATE if cid > 0 else ChatKind.GROUP, tier=tier))


def rows(ids: list[int], *, premium: bool, tag: str = "m") -> list[OutboxMessage]:
    return [OutboxMessage(cid, f"{tag}:{cid}", f"alert {cid}", premium=premium) for cid in ids]


async def bot_for(tg: FakeTelegram, limiter: ChatRateLimiter) -> ExtBot[int]:
    bot: ExtBot[int] = ExtBot(tg.token, base_url=tg.base_url, rate_limiter=limiter)
    await bot.initialize()
    return bot


async def drain(sender: Sender, repos: Repositories) -> None:
    while await repos.outbox.count_pending():
        await sender.drain_once()


def paid_flags(sent: list[Sent]) -> dict[int, object]:
    return {s.chat_id: s.params.get("allow_paid_broadcast") for s in sent}


@pytest.mark.parametrize("paid", [False, True], ids=["paid-off", "paid-on"])
async def test_the_paid_parameter_goes_only_with_premium_messages_when_enabled(
    repos: Repositories, paid: bool
) -> None:
    await add_chats(repos, PREMIUM, Tier.PREMIUM)
    await add_chats(repos, FREE, Tier.FREE)
    await repos.outbox.enqueue(rows(PREMIUM, premium=True) + rows(FREE, premium=False))
    async with FakeTelegram(overall_per_s=200, per_chat_interval_s=0.2) as tg:
        bot = await bot_for(tg, ChatRateLimiter(overall_per_s=190, paid_per_s=900 if paid else None))
        await drain(Sender(bot, repos, paid_broadcast=paid), repos)
        await bot.shutdown()
    flags = paid_flags(tg.sent)
    assert sorted(flags) == sorted(PREMIUM + FREE)
    for cid in FREE:
        assert flags[cid] is None  # never sent, not even as false
    for cid in PREMIUM:
        assert flags[cid] == ("true" if paid else None)


async def test_the_notifier_marks_premium_chats_rows(sqlite_repos: Repositories) -> None:
    repos = sqlite_repos
    await watchers(repos, [Chat(41, ChatKind.PRIVATE, tier=Tier.PREMIUM), Chat(42, ChatKind.PRIVATE)])
    event = await stored_event(repos)
    assert event.symbol == EVENT.symbol
    await OutboxNotifier(repos).publish([event])
    claimed = await repos.outbox.claim_pending(datetime(2030, 1, 1, tzinfo=UTC), limit=10)
    assert [(m.chat_id, m.premium) for m in claimed] == [(41, True), (42, False)]


async def test_premium_rows_are_claimed_before_an_older_free_backlog(repos: Repositories) -> None:
    free = list(range(1001, 1041))
    premium = list(range(2001, 2006))
    await add_chats(repos, free, Tier.FREE)
    await add_chats(repos, premium, Tier.PREMIUM)
    await repos.outbox.enqueue(rows(free, premium=False))  # older
    await repos.outbox.enqueue(rows(premium, premium=True))
    async with FakeTelegram(overall_per_s=40, per_chat_interval_s=0.2) as tg:
        bot = await bot_for(tg, ChatRateLimiter(overall_per_s=38))
        await drain(Sender(bot, repos, batch=5), repos)
        await bot.shutdown()
    order = [s.chat_id for s in tg.sent]
    assert sorted(order[:5]) == premium
    assert sorted(order[5:]) == free
    assert tg.count_429() == 0


async def test_a_premium_alert_arriving_behind_a_free_backlog_waits_one_round_at_most(
    sqlite_repos: Repositories,
) -> None:
    """120 free alerts at 40/s take 3 s; premium ones enqueued 0.5 s in go out within the next round,
    not after the backlog (the round of 200 claimed rows used to run to its end)."""
    repos = sqlite_repos
    free = list(range(3001, 3121))
    premium = list(range(4001, 4004))
    await add_chats(repos, free, Tier.FREE)
    await add_chats(repos, premium, Tier.PREMIUM)
    await repos.outbox.enqueue(rows(free, premium=False))
    async with FakeTelegram(overall_per_s=40, per_chat_interval_s=0.2) as tg:
        bot = await bot_for(tg, ChatRateLimiter(overall_per_s=38))
        sender = Sender(bot, repos, idle_s=0.05, round_s=0.5)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run(stop))
        await tg.wait_for(lambda: len(tg.sent) >= 20)
        await repos.outbox.enqueue(rows(premium, premium=True))
        await tg.wait_for(lambda: all(tg.sent_to(c) for c in premium), within=10)
        free_left = await repos.outbox.count_pending()
        await tg.wait_for(lambda: len(tg.sent) == len(free) + len(premium), within=15)
        stop.set()
        await task
        await bot.shutdown()
    assert free_left >= 40  # the premium alerts did not wait for the backlog
    assert tg.count_429() == 0


async def test_telegrams_free_limits_hold_with_no_429(sqlite_repos: Repositories) -> None:
    """The real limits: 30/s overall, 1/s per chat, 20/min per group (the group window scaled to 2 s):
    90 private chats, 3 chats with 3 alerts each, a group with 25. No 429, nothing lost."""
    repos = sqlite_repos
    singles = list(range(5001, 5091))
    triples = [6001, 6002, 6003]
    group = -7001
    await add_chats(repos, singles + triples + [group], Tier.FREE)
    msgs = rows(singles, premium=False)
    msgs += [OutboxMessage(c, f"t{i}:{c}", f"t{i}") for i in range(3) for c in triples]
    msgs += [OutboxMessage(group, f"g{i}", f"g{i}") for i in range(25)]
    await repos.outbox.enqueue(msgs)
    async with FakeTelegram(group_window_s=2.0) as tg:  # Telegram's 30/s and 1/s per chat
        bot = await bot_for(tg, ChatRateLimiter(overall_per_s=30, group_per_min=20, group_period_s=2.0))
        t0 = time.monotonic()
        await drain(Sender(bot, repos), repos)
        await bot.shutdown()
    assert tg.count_429() == 0
    assert tg.violations == []
    assert len(tg.sent) == len(msgs)
    times = sorted(s.at for s in tg.sent)
    assert max(sum(1 for t in times if a <= t < a + 1.0) for a in times) <= 30
    assert times[-1] - t0 >= (len(msgs) - 30) / 30  # never faster than the limit allows


async def test_paid_broadcast_goes_past_the_free_rate_without_a_429(sqlite_repos: Repositories) -> None:
    """150 premium chats with paid broadcast on: more than 30 in a second (the free limit), no 429;
    the free chats beside them stay within 30/s."""
    repos = sqlite_repos
    premium = list(range(8001, 8151))
    free = list(range(9001, 9041))
    await add_chats(repos, premium, Tier.PREMIUM)
    await add_chats(repos, free, Tier.FREE)
    await repos.outbox.enqueue(rows(free, premium=False) + rows(premium, premium=True))
    async with FakeTelegram(paid_per_s=300) as tg:  # free 30/s; paid sends up to 300/s in all
        bot = await bot_for(tg, ChatRateLimiter(overall_per_s=30, paid_per_s=290))
        await drain(Sender(bot, repos, paid_broadcast=True, concurrency=64), repos)
        await bot.shutdown()
    assert tg.count_429() == 0
    assert tg.violations == []
    paid = sorted(s.at for s in tg.sent if s.params.get("allow_paid_broadcast") == "true")
    unpaid = sorted(s.at for s in tg.sent if s.chat_id in free)
    assert len(paid) == len(premium)
    assert len(unpaid) == len(free)
    assert max(sum(1 for t in paid if a <= t < a + 1.0) for a in paid) > 30
    assert max(sum(1 for t in unpaid if a <= t < a + 1.0) for a in unpaid) <= 30


async def test_the_application_sends_paid_alerts_over_its_own_aiohttp_bot(
    sqlite_repos: Repositories, caplog: pytest.LogCaptureFixture
) -> None:
    """With paid broadcast on, `build_application` gives the sender its own bot over aiohttp (the
    application's bot keeps PTB's httpx for replies), sharing one rate limiter; it is shut down with the
    sender. Premium alerts go paid, free ones not; no token in the logs."""
    caplog.set_level(logging.DEBUG)
    repos = sqlite_repos
    premium, free = list(range(8201, 8241)), list(range(9201, 9206))
    await add_chats(repos, premium, Tier.PREMIUM)
    await add_chats(repos, free, Tier.FREE)
    await repos.outbox.enqueue(rows(premium, premium=True) + rows(free, premium=False))
    async with FakeTelegram(paid_per_s=300) as tg:
        settings = make_settings(tg.base_url, token=tg.token, paid_broadcast=True, paid_rate_per_second=290)
        app = build_application(settings, make_services(repos), sender_options={"idle_s": 0.05})
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=1))
        await tg.wait_for(lambda: len(tg.sent) == len(premium) + len(free), within=15)
        sender = app.bot_data.sender
        assert isinstance(sender.bot.request, AiohttpRequest)
        assert isinstance(app.bot.request, HTTPXRequest)
        tg.push_message(8201, "/start")  # a reply goes through the application's bot, same limiter
        await tg.wait_for(lambda: len(tg.sent_to(8201)) == 2)
        stop.set()
        await asyncio.wait_for(task, 15)
        with pytest.raises(NetworkError, match="not initialized"):  # shut down with the sender
            await sender.bot.send_message(8202, "after")
    assert paid_flags(
        [s for s in tg.sent if s.chat_id in premium and s.text.startswith("alert")]
    ) == dict.fromkeys(premium, "true")
    assert all(s.params.get("allow_paid_broadcast") is None for s in tg.sent if s.chat_id in free)
    assert tg.count_429() == 0
    assert tg.violations == []
    assert tg.token.split(":")[1] not in caplog.text
