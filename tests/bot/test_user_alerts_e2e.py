"""End to end (issue 24): the real python-telegram-bot stack long-polling the fake Bot API server over
HTTP, real SQLite and MariaDB. `/alert` and `/alerts` with their delete buttons; a daily close that
fires signals and own alerts reaches the chat as one digest through the signal pipeline, the outbox
and the sender; symbols resolve as for /watch (real resolver: KAU -> front vintage, 005930 -> .KS)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import build_application, run_application
from bot.delivery import OutboxNotifier
from bot.handlers import BotApp
from core.ports import Repositories
from core.settings import Settings
from core.types import Bar, Instrument, Interval, Watch
from market import resolver
from scheduler.engines import engine_factory
from scheduler.pipeline import SignalPipeline
from scheduler.user_alerts import UserAlertWatcher
from signals import signal_config
from signals.user_alerts import Margins
from tests.bot.fakes import NOW, make_services, make_settings
from tests.fakes.fake_telegram import FakeTelegram, Sent

CHAT = 1001


class RealResolver:
    """`market.resolver` (catalogue, aliases, patterns; no network): what /watch resolves with."""

    def __init__(self, repos: Repositories) -> None:
        self._repos = repos

    async def resolve(self, text: str, *, verify: bool = False) -> Instrument:
        return await resolver.resolve(text, self._repos, NOW)


@dataclass
class Running:
    tg: FakeTelegram
    app: BotApp
    repos: Repositories
    settings: Settings

    async def ask(self, text: str, chat_id: int = CHAT, **kw: object) -> Sent:
        before = len(self.tg.sent_to(chat_id))
        self.tg.push_message(chat_id, text, **kw)  # type: ignore[arg-type]
        await self.tg.wait_for(lambda: len(self.tg.sent_to(chat_id)) > before)
        return self.tg.sent_to(chat_id)[before]


@pytest.fixture
async def running(repos: Repositories) -> AsyncIterator[Running]:
    async with FakeTelegram() as tg:
        settings = make_settings(tg.base_url, token=tg.token, user_alerts_per_chat=4)
        services = make_services(repos, resolver=RealResolver(repos))
        app = build_application(settings, services, sender_options={"idle_s": 0.05})
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=1))
        await tg.wait_for(lambda: tg.calls("getUpdates"))
        yield Running(tg, app, repos, settings)
        stop.set()
        await asyncio.wait_for(task, 15)
        assert tg.violations == [], "the bot exceeded a Telegram limit"


async def test_alert_commands_list_and_delete(running: Running) -> None:
    r = running
    assert (await r.ask("/alert 005930 above 80000")).text == (
        "Alert set: <b>005930.KS</b> at or above 80,000 KRW."
    )
    waiting = await r.ask("/alert KAU below 9,000")  # the fake quote is 100: already below
    assert waiting.text.startswith("Alert set: <b>KAU26</b> at or below 9,000 KRW.\nIt is already there")
    assert "after moving back past 9,045 KRW" in waiting.text
    assert (await r.ask("/alert AAPL move 3%")).text == "Alert set: <b>AAPL</b> moves 3% or more in a day."
    assert (
        await r.ask("/alert aapl move 3")
    ).text == "You already have this alert: <b>AAPL</b> moves 3% or more in a day."
    assert "RSI 14 at or below 30" in (await r.ask("/alert AAPL rsi below 30")).text
    full = await r.ask("/alert AAPL rsi above 70")
    assert full.text == "This chat has 4 alerts, the most it may set. Delete one under /alerts first."

    assert "Unknown symbol: <code>ZZ-Q..</code>" in (await r.ask("/alert ZZ-Q.. above 1")).text
    assert (
        await r.ask("/alert AAPL above lots")
    ).text == "The level must be a positive number: <code>lots</code>."
    assert (
        await r.ask("/alert AAPL rsi above 120")
    ).text == "An RSI level lies between 0 and 100: <code>120</code>."
    assert (await r.ask("/alert AAPL sideways 3")).text.startswith("Usage: /alert SYMBOL above|below PRICE")
    assert (await r.ask("/alert AAPL above -5")).text.startswith("The level must be a positive number")

    listing = await r.ask("/alerts")
    assert listing.text.split("\n") == [
        "<b>Your alerts</b> (4/4)",
        "1. <b>005930.KS</b> at or above 80,000 KRW",
        "2. <b>KAU26</b> at or below 9,000 KRW (waiting to re-arm)",
        "3. <b>AAPL</b> moves 3% or more in a day",
        "4. <b>AAPL</b> RSI 14 at or below 30",
    ]
    buttons = [row[0] for row in listing.reply_markup["inline_keyboard"]]  # type: ignore[index]
    r.tg.push_callback(CHAT, buttons[1]["callback_data"], message_id=listing.message_id)
    await r.tg.wait_for(lambda: r.tg.calls("editMessageText"))
    answer = r.tg.calls("answerCallbackQuery")[0].params["text"]
    assert answer == "Alert deleted: KAU26 at or below 9,000 KRW."
    edited = r.tg.calls("editMessageText")[0].params["text"]
    assert edited.startswith("<b>Your alerts</b> (3/4)")
    assert "KAU26" not in edited
    assert [a.symbol for a in await r.repos.user_alerts.list_alerts(CHAT)] == ["005930.KS", "AAPL", "AAPL"]

    r.tg.push_callback(CHAT, buttons[1]["callback_data"], message_id=listing.message_id)  # pressed twice
    await r.tg.wait_for(lambda: len(r.tg.calls("answerCallbackQuery")) == 2)
    assert r.tg.calls("answerCallbackQuery")[1].params["text"] == "That alert no longer exists."
    assert (await r.ask("/alert AAPL rsi above 70")).text.startswith("Alert set:")  # room again


async def test_alert_in_korean_and_group_rules(running: Running) -> None:
    r = running
    ko = await r.ask("/alert 005930 move 5%", chat_id=2002, language_code="ko")
    assert ko.text == "알림을 설정했습니다: <b>005930.KS</b> 하루 5% 이상 변동."
    moved = await r.ask("/alert AAPL move 1%", chat_id=2002, language_code="ko")  # the quote: +2.04%
    assert moved.text == (
        "알림을 설정했습니다: <b>AAPL</b> 하루 1% 이상 변동.\n"
        "이미 그 위치에 있습니다 (+2.04%): 0.5%을(를) 되돌아 넘은 뒤 다시 도달하면 알립니다."
    )
    huge = await r.ask("/alert AAPL above 1e12", chat_id=2002, language_code="ko")
    assert huge.text == "기준값은 양수여야 합니다: <code>1e12</code>."
    listing = await r.ask("/alerts", chat_id=2002, language_code="ko")
    assert listing.text.split("\n")[0] == "<b>내 알림</b> (2/4)"
    refused = await r.ask("/alert AAPL above 1", chat_id=-5005, user_id=77, chat_type="supergroup")
    assert refused.text == "Only the group's administrators can change its watchlist."
    assert await r.repos.user_alerts.list_alerts(-5005) == []


def _history(symbol: str, n: int, end: datetime) -> list[Bar]:
    start = end - timedelta(days=n)
    return [
        Bar(
            symbol,
            Interval.D1,
            start + timedelta(days=i),
            70_000,
            70_500,
            69_500,
            70_000 + (i % 5) * 100,
            1_000,
        )
        for i in range(n)
    ]


async def test_one_close_reaches_the_chat_as_one_digest(running: Running) -> None:
    r = running
    await r.ask("/watch 005930")
    await r.ask("/alert 005930 above 80000")
    await r.ask("/alert 005930 move 10%")
    await r.ask("/alert 005930 below 50000")  # not reached: not in the digest
    session = datetime(2026, 11, 20, tzinfo=UTC)
    await r.repos.bars.upsert_bars(_history("005930.KS", 300, session))
    watcher = UserAlertWatcher(r.repos, Margins())
    pipeline = SignalPipeline(
        r.repos,
        OutboxNotifier(r.repos),
        engine_factory(signal_config(r.settings)),
        persist=False,
        alerts=watcher,
    )
    await pipeline.warm(["005930.KS"])
    before = len(r.tg.sent_to(CHAT))
    close = Bar("005930.KS", Interval.D1, session, 70_000, 81_000, 70_000, 80_500, 50_000)
    result = await pipeline.process({"005930.KS": [close]})
    assert result.events >= 1  # at least the volume spike
    await r.tg.wait_for(lambda: len(r.tg.sent_to(CHAT)) > before)
    await asyncio.sleep(1.5)  # nothing else follows
    [digest] = r.tg.sent_to(CHAT)[before:]
    lines = digest.text.split("\n")
    n = result.events + 2
    assert lines[0] == f"🔔 <b>{n} alerts</b> · 2026-11-20 close 15:30 KST"
    assert "● <b>Volume spike</b> · <b>005930.KS</b> 80,500 KRW" in lines
    assert "🎯 <b>005930.KS</b> at or above 80,000 KRW · 80,500 KRW" in lines
    assert "🎯 <b>005930.KS</b> moves 10% or more in a day · 80,500 KRW (+14.35%)" in lines
    assert lines.count("    no track record yet") == result.events
    states = {a.level: a.armed for a in await r.repos.user_alerts.list_alerts(CHAT)}
    assert states == {80_000: False, 10: False, 50_000: True}

    again = await pipeline.process({"005930.KS": [close]})  # the same close handed over again
    assert again.enqueued == 0
    await r.repos.watches.upsert_watch(Watch(CHAT, "005930.KS"))
    assert await r.repos.outbox.count_pending() == 0


async def test_console_sets_and_prints_own_alerts(sqlite_repos: Repositories) -> None:
    import io

    from bot.console import CONSOLE_CHAT_ID, ConsoleChat, ConsoleNotifier

    services = make_services(sqlite_repos, resolver=RealResolver(sqlite_repos))
    out = io.StringIO()
    lines = "/alert 005930 above 80000\n/alerts\n/quit\n"
    await ConsoleChat(
        services, make_settings(token=""), stdin=io.StringIO(lines), stdout=out, prompt=""
    ).run()
    assert "Alert set: 005930.KS at or above 80,000 KRW." in out.getvalue()
    assert "1. 005930.KS at or above 80,000 KRW" in out.getvalue()
    [alert] = await sqlite_repos.user_alerts.list_alerts(CONSOLE_CHAT_ID)
    hits, _ = await UserAlertWatcher(sqlite_repos, Margins()).check(
        {"005930.KS": [Bar("005930.KS", Interval.D1, datetime(2026, 11, 20, tzinfo=UTC), 1, 1, 1, 80_100, 1)]}
    )
    printed = io.StringIO()
    assert await ConsoleNotifier(services, stdout=printed).publish_close([], hits) == 1
    assert printed.getvalue().split("\n")[1] == "🎯 Your alert · 005930.KS at or above 80,000 KRW"
    assert hits[0].alert == alert
