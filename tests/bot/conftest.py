"""Fixtures: a fake Bot API server, fake market/news services, real SQLite repositories, the real PTB app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from bot.handlers import BotApp
from bot.ratelimit import ChatRateLimiter
from bot.services import BotServices
from core.ports import Repositories
from tests.bot.fakes import FakeClock, make_services, make_settings
from tests.fakes.fake_telegram import FakeTelegram, Sent
from tests.fakes.telegram_payloads import callback_query_dict


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(sqlite_repos: Repositories) -> BotServices:
    return make_services(sqlite_repos)


@pytest.fixture
async def fast_tg() -> AsyncIterator[FakeTelegram]:
    """A fake server without the per-chat spacing (handler tests send several replies to one chat)."""
    async with FakeTelegram(per_chat_interval_s=0) as tg:
        yield tg


class Harness:
    """The real PTB Application (HTTP to the fake server), updates fed through process_update."""

    def __init__(self, tg: FakeTelegram, app: BotApp) -> None:
        self.tg = tg
        self.app = app
        self._ids = 100_000

    async def feed(self, update: dict[str, Any]) -> None:
        self._ids += 1
        upd = Update.de_json({"update_id": self._ids, **update}, self.app.bot)
        await self.app.process_update(upd)

    async def say(self, chat_id: int, text: str, **kw: Any) -> list[Sent]:
        """Send `text` from `chat_id`; returns the messages the bot sent in answer."""
        from tests.fakes.fake_telegram import message_dict

        before = len(self.tg.sent)
        msg = message_dict(
            chat_id,
            text,
            kw.get("user_id"),
            kw.get("chat_type", "private" if chat_id > 0 else "supergroup"),
            kw.get("language_code", "en"),
            "Group",
        )
        await self.feed({"message": msg})
        return self.tg.sent[before:]

    async def press(
        self, chat_id: int, data: str, *, user_id: int | None = None, message_id: int = 1
    ) -> None:
        """Press the button with callback `data` on the bot's message `message_id` in `chat_id`."""
        self._ids += 1
        cq = callback_query_dict(chat_id, data, f"cq{self._ids}", user_id=user_id, message_id=message_id)
        await self.feed({"callback_query": cq})


@pytest.fixture
async def harness(fast_tg: FakeTelegram, services: BotServices, clock: FakeClock) -> AsyncIterator[Harness]:
    settings = make_settings(fast_tg.base_url, token=fast_tg.token)
    app = build_application(
        settings,
        services,
        clock=clock,
        run_sender=False,
        rate_limiter=ChatRateLimiter(overall_per_s=1000, group_per_min=1000, per_chat_interval_s=0),
    )
    await app.initialize()
    yield Harness(fast_tg, app)
    await app.shutdown()
