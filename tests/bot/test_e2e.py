"""End to end: the real python-telegram-bot stack long-polling the fake Bot API server over HTTP,
with Telegram's real limits enforced by the server (30/s, 1/s per chat, 20/min per group)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.app import build_application, run_application
from bot.briefing import Briefer
from bot.delivery import OutboxNotifier
from bot.handlers import BotApp
from bot.services import BotServices
from core.ports import Repositories
from core.settings import Settings
from core.types import ChatKind, Interval, SignalEvent, SignalType
from tests.bot.fakes import make_services, make_settings
from tests.fakes.fake_telegram import FakeTelegram, Sent

CHANNEL = -1001234567890
TOPIC = 7


@dataclass
class Running:
    tg: FakeTelegram
    app: BotApp
    services: BotServices
    settings: Settings

    @property
    def repos(self) -> Repositories:
        return self.services.repos

    async def ask(self, chat_id: int, text: str, **kw: object) -> Sent:
        before = len(self.tg.sent_to(chat_id))
        self.tg.push_message(chat_id, text, **kw)  # type: ignore[arg-type]
        await self.tg.wait_for(lambda: len(self.tg.sent_to(chat_id)) > before)
        return self.tg.sent_to(chat_id)[before]


@pytest.fixture
async def running(sqlite_repos: Repositories) -> AsyncIterator[Running]:
    async with FakeTelegram() as tg:
        settings = make_settings(
            tg.base_url, token=tg.token, premium_channel_id=CHANNEL, premium_topic_id=TOPIC
        )
        services = make_services(sqlite_repos)
        app = build_application(settings, services, sender_options={"idle_s": 0.05})
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=1))
        await tg.wait_for(lambda: tg.calls("getUpdates"))
        yield Running(tg, app, services, settings)
        stop.set()
        await asyncio.wait_for(task, 15)
        assert tg.violations == [], "the bot exceeded a Telegram limit"


async def test_menu_start_price_watch_alert_and_button(running: Running) -> None:
    tg = running.tg
    assert [c["command"] for c in tg.commands[""]][:3] == ["start", "help", "price"]
    assert tg.commands["ko"][2]["description"] == "종목 시세"

    start = await running.ask(1001, "/start")
    assert "finsignal" in start.text
    price = await running.ask(1001, "/price FCO2.DE")
    assert "71.25" in price.text
    watch = await running.ask(1001, "/watch FCO2.DE")
    assert "Watching" in watch.text

    [event] = await running.repos.events.add_events(
        [
            SignalEvent(
                "FCO2.DE",
                SignalType.BREAKOUT_200,
                Interval.D1,
                datetime(2026, 11, 20, tzinfo=UTC),
                71.2,
                {"sma200": 70.0},
                1.7,
            )
        ]
    )
    assert await OutboxNotifier(running.repos).publish([event]) == 1
    await tg.wait_for(lambda: len(tg.sent_to(1001)) == 4)
    alert = tg.sent_to(1001)[3]
    assert "SMA 200 breakout" in alert.text
    assert "2026-11-20 close 17:30 Frankfurt · 11-21 01:30 KST" in alert.text
    buttons = alert.reply_markup["inline_keyboard"][0]  # type: ignore[index]
    assert buttons[1]["callback_data"] == "u|FCO2.DE"

    tg.push_callback(1001, buttons[1]["callback_data"])
    await tg.wait_for(lambda: tg.calls("answerCallbackQuery"))
    assert "Stopped watching" in tg.calls("answerCallbackQuery")[0].params["text"]
    assert await running.repos.watches.list_watches(1001) == []
    assert await running.repos.outbox.count_pending() == 0


async def test_premium_briefing_reaches_the_channel_topic(running: Running) -> None:
    await running.ask(1002, "/watch KAU25")
    briefer = Briefer(running.services, running.settings)
    assert await briefer.send_briefing("08:00") == 1
    assert await briefer.send_briefing("08:00") == 0  # the same slot twice: enqueued once
    await running.tg.wait_for(lambda: running.tg.sent_to(CHANNEL))
    [post] = running.tg.sent_to(CHANNEL)
    assert post.params["message_thread_id"] == str(TOPIC)
    assert "finsignal briefing" in post.text
    assert "KAU25 9,150 KRW (+2.04%)" in post.text
    assert "FCO2.DE 71.25 EUR" in post.text  # carbon section
    assert "EUA-AUCTION 70.10 EUR" in post.text
    assert "EU carbon &lt;hits&gt;" in post.text


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_blocked_and_added_via_my_chat_member(running: Running) -> None:
    chats = running.repos.chats
    await running.ask(1003, "/start")
    running.tg.push_my_chat_member(1003, "member", "kicked")

    async def blocked() -> bool:
        chat = await chats.get_chat(1003)
        return chat is not None and not chat.active

    await eventually(blocked)
    running.tg.push_my_chat_member(1003, "kicked", "member")  # unblocked

    async def unblocked() -> bool:
        chat = await chats.get_chat(1003)
        return chat is not None and chat.active

    await eventually(unblocked)
    running.tg.push_my_chat_member(-1003, "left", "member", chat_type="supergroup")

    async def added() -> bool:
        return await chats.get_chat(-1003) is not None

    await eventually(added)
    chat = await chats.get_chat(-1003)
    assert chat is not None
    assert chat.kind is ChatKind.SUPERGROUP
    assert chat.active


async def test_bad_input_never_crashes_or_leaks(running: Running) -> None:
    tg = running.tg
    replies = [
        await running.ask(1004, "/frobnicate now"),
        await running.ask(1004, "/price"),
        await running.ask(1004, "/price NOPE.XX"),
        await running.ask(1004, "/price <b>bold"),
        await running.ask(1004, "/watch FCO2.DE rsi,<i>"),
        await running.ask(1004, "/price " + "A" * 10_000),
        await running.ask(1004, "/signals EVIL"),
        await running.ask(1004, "/status"),
        await running.ask(1004, "/broadcast spam"),
        await running.ask(1004, "/news " + "x" * 10_000),
    ]
    texts = [r.text for r in replies]
    assert "Unknown command" in texts[0]
    assert "Usage: /price SYMBOL" in texts[1]
    assert "Unknown symbol" in texts[2]
    assert "Unknown symbol: <code>&lt;b&gt;bold</code>" in texts[3]
    assert "Unknown signal type: <code>&lt;i&gt;</code>" in texts[4]
    assert "Unknown symbol" in texts[5]
    assert len(texts[5]) < 300
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in texts[6]
    assert "administrators only" in texts[7]
    assert "administrators only" in texts[8]
    assert "Usage: /news" in texts[9]
    assert all(len(t) <= 4096 and "Traceback" not in t for t in texts)
    assert await running.repos.outbox.count_pending() == 0  # the refused broadcast queued nothing

    tg.push_channel_post(-100999, "/start")
    tg.push_message(-100998, "/frobnicate", chat_type="supergroup", user_id=5)  # maybe for another bot
    before = len(tg.sent)
    await asyncio.sleep(1.0)
    assert len(tg.sent) == before


async def test_handler_failure_is_logged_not_leaked(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        async def snapshot(self, symbol: str) -> dict[str, float | None]:
            raise RuntimeError("secret internal detail")

    env = running.app.bot_data.env
    assert env is not None
    object.__setattr__(env.services, "indicators", Broken())
    reply = await running.ask(1005, "/signals FCO2.DE")
    assert reply.text == "Sorry, something went wrong. The error was logged."
    assert any(
        "secret internal detail" in (r.exc_text or "") for r in caplog.records if r.exc_info or r.exc_text
    )
