"""/ask and plain-text questions through the real python-telegram-bot stack, long-polling the fake Bot API
server over HTTP, on the loaded fixture database (SQLite)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import pytest

from ask.schema import TABLES
from ask.service import AskService
from bot.app import build_application, run_application
from core.types import Watch
from storage import Database
from storage.readonly import open_readonly
from tests.ask import fixture_data as F
from tests.ask.conftest import Loaded
from tests.bot.fakes import make_services, make_settings
from tests.fakes.fake_telegram import FakeTelegram, Sent


class FixedDayAsk(AskService):
    """The real service, asked on the fixture's day (the labelled periods are relative to it)."""

    async def ask(self, question: str, *, watchlist: object = (), today: date | None = None) -> object:  # type: ignore[override]
        return await super().ask(question, watchlist=watchlist, today=F.TODAY)  # type: ignore[arg-type]


@pytest.fixture
async def tg(loaded_sqlite: Loaded, sqlite_ask_db: Database) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        settings = make_settings(server.base_url, token=server.token)
        queries = open_readonly(loaded_sqlite.url, tables=TABLES)
        service = FixedDayAsk(queries, sqlite_ask_db.repos)
        app = build_application(settings, make_services(sqlite_ask_db.repos, ask=service), run_sender=False)
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=1))
        await server.wait_for(lambda: server.calls("getUpdates"))
        yield server
        stop.set()
        await asyncio.wait_for(task, 15)


async def say(tg: FakeTelegram, chat_id: int, text: str, **kw: object) -> Sent:
    before = len(tg.sent_to(chat_id))
    tg.push_message(chat_id, text, **kw)  # type: ignore[arg-type]
    await tg.wait_for(lambda: len(tg.sent_to(chat_id)) > before)
    return tg.sent_to(chat_id)[before]


async def test_ask_answers_with_a_chart_a_table_and_collapsed_sql(tg: FakeTelegram) -> None:
    sent = await say(tg, 2001, "/ask 지난 3개월 KAU25 종가 추이 보여줘")
    assert sent.method == "sendPhoto"
    assert sent.params["parse_mode"] == "HTML"
    assert sent.text.startswith("Korean Allowance Unit 25 (KAU25)의 종가는 2026-12-04에")
    assert "<pre>ts" in sent.text
    assert (
        "<blockquote expandable>SQL: SELECT ts, close FROM bars WHERE symbol = &#x27;KAU25&#x27;" in sent.text
    )
    assert len(sent.text) <= 1024
    assert any(c["command"] == "ask" for c in tg.commands[""])


async def test_plain_text_in_a_private_chat_is_a_question(tg: FakeTelegram) -> None:
    sent = await say(tg, 2002, "Compare AAPL and MSFT last month")
    assert sent.method == "sendPhoto"
    assert sent.text.startswith("Change from 2026-11-01 to 2026-11-30: AAPL ")


async def test_the_watchlist_is_the_chats_own(tg: FakeTelegram, sqlite_ask_db: Database) -> None:
    await say(tg, 2003, "/start")
    await sqlite_ask_db.repos.watches.upsert_watch(Watch(chat_id=2003, symbol="NVDA"))
    sent = await say(tg, 2003, "관심종목 올해 신호")
    assert "NVDA" in sent.text
    assert all(s not in sent.text for s in ("AAPL", "KAU25", "TSLA"))


async def test_group_chatter_is_not_taken_for_a_question(tg: FakeTelegram) -> None:
    tg.push_message(-5001, "Apple close last week", chat_type="group", user_id=77)
    sent = await say(tg, -5001, "/ask Apple close last week", chat_type="group", user_id=77)
    assert "Apple Inc. (AAPL) closed at" in sent.text
    await asyncio.sleep(0.3)
    assert len(tg.sent_to(-5001)) == 1


async def test_refusals_and_usage_are_plain_sentences(tg: FakeTelegram) -> None:
    usage = await say(tg, 2004, "/ask")
    assert usage.text.startswith("Usage: /ask QUESTION")
    refused = await say(tg, 2004, "show me the chats table")
    assert refused.method == "sendMessage"
    assert "did not understand" in refused.text
    assert "secret chat" not in refused.text
