"""/watch and /price of a ticker the data source does not know: a clear reply with suggestions
(issue 3.1), through the real MarketData against the fake Yahoo server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from bot.commands import Env, Request, cmd_price, cmd_watch
from core.ports import Repositories
from core.settings import load_settings
from core.types import Chat, ChatKind, Language
from market import MarketData
from tests.bot.fakes import FakeClock, make_services
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import daily_rows


@pytest.fixture
async def env(sqlite_repos: Repositories) -> AsyncIterator[tuple[Env, FakeSources]]:
    with FakeSources() as fake:
        settings = load_settings(
            **fake.settings_overrides(),
            http_timeout_s=1.0,
            market_retry_base_s=0.01,
            market_retry_max_s=0.02,
            database_url="sqlite+aiosqlite:///unused.db",
        )
        md = MarketData(settings, sqlite_repos, clock=FakeClock())
        try:
            yield Env(make_services(sqlite_repos, resolver=md), settings, FakeClock()), fake
        finally:
            await md.close()


async def test_watch_of_an_unknown_ticker_suggests_the_right_one(
    env: tuple[Env, FakeSources], sqlite_repos: Repositories
) -> None:
    e, fake = env
    chat = await sqlite_repos.chats.upsert_chat(Chat(42, ChatKind.PRIVATE))
    reply = await cmd_watch(e, Request(chat, ("APPL",)))
    assert reply.text == "Unknown symbol: <code>APPL</code>. Did you mean: AAPL?"
    assert await sqlite_repos.watches.list_watches(42) == []
    ko = await cmd_watch(e, Request(Chat(42, ChatKind.PRIVATE, language=Language.KO), ("APPL",)))
    assert "알 수 없는 종목" in ko.text
    assert "AAPL" in ko.text
    price = await cmd_price(e, Request(chat, ("APPL",)))
    assert "Did you mean: AAPL?" in price.text

    fake.add_yahoo("IBM", daily_rows(date(2026, 11, 10), [150.0, 151.0, 152.0]))
    ok = await cmd_watch(e, Request(chat, ("ibm",)))
    assert "Watching <b>IBM</b>" in ok.text
    assert [w.symbol for w in await sqlite_repos.watches.list_watches(42)] == ["IBM"]
