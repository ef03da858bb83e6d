"""Korean translations of English headlines through the stand-in chat-completions server: cached per
item, in the background, never delaying an alert; failures leave the original text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ask.llm import ChatCompletionsModel
from ask.translate import NewsTranslator, cache_key
from bot.news_alerts import NewsAlerter
from core.ports import Repositories
from core.types import Chat, ChatKind, Language, NewsItem, Watch
from tests.bot.fakes import INSTRUMENTS, NOW, FakeClock
from tests.fakes.fake_llm import FakeChatServer, Reply, completion

KOREAN = '{"title": "EU 탄소 가격 사상 최고치", "summary": "유럽 탄소배출권 가격이 사상 최고치를 기록했다."}'
ITEM = NewsItem("https://example.com/eua/1", "EU carbon hits a record", "Reuters", NOW, symbols=("FCO2.DE",),
                summary="European carbon allowances rose to a record.")  # fmt: skip


@pytest.fixture
def llm() -> Iterator[FakeChatServer]:
    server = FakeChatServer().start()
    yield server
    server.stop()


@pytest.fixture
async def translator(llm: FakeChatServer, sqlite_repos: Repositories) -> AsyncIterator[NewsTranslator]:
    async with httpx.AsyncClient() as client:
        model = ChatCompletionsModel(client, llm.base_url, "m", timeout_s=3.0, retries=0)
        yield NewsTranslator(model, sqlite_repos.state)


async def _korean_chat(repos: Repositories, chat_id: int) -> None:
    await repos.instruments.upsert_instruments([INSTRUMENTS["FCO2.DE"]])
    await repos.chats.upsert_chat(Chat(chat_id, ChatKind.PRIVATE, news_alerts=True, language=Language.KO))
    await repos.watches.upsert_watch(Watch(chat_id, "FCO2.DE"))


async def test_alerts_never_wait_and_later_ones_are_korean(
    llm: FakeChatServer, translator: NewsTranslator, sqlite_repos: Repositories
) -> None:
    llm.script = [Reply(**{**completion(KOREAN).__dict__, "delay_s": 1.0})]
    await _korean_chat(sqlite_repos, 11)
    alerter = NewsAlerter(sqlite_repos, clock=FakeClock(NOW), translations=translator)
    assert await alerter.publish_news([ITEM]) == 1
    assert await translator.cached(ITEM) is None  # the alert is queued while the model is still busy
    [first] = await sqlite_repos.outbox.claim_pending(NOW, limit=10)
    assert "EU carbon hits a record" in first.text
    await translator.wait()
    cached = await translator.cached(ITEM)
    assert cached is not None
    assert cached.title == "EU 탄소 가격 사상 최고치"
    await _korean_chat(sqlite_repos, 12)  # a chat that opts in later gets the Korean text
    assert await alerter.publish_news([ITEM]) == 1
    korean = [m for m in await sqlite_repos.outbox.claim_pending(NOW, limit=10) if m.chat_id == 12]
    assert "EU 탄소 가격 사상 최고치" in korean[0].text
    assert "유럽 탄소배출권" in korean[0].text
    await translator.wait()
    assert len(llm.requests) == 1  # cached per item: asked once
    assert "EU carbon hits a record" in llm.requests[0]["json"]["messages"][1]["content"]


@pytest.mark.parametrize(
    "reply",
    [
        completion("Sorry, I can't."),
        completion('{"title": "EU carbon record"}'),
        Reply(500, "{}"),
        Reply(200, "{"),
    ],
)
async def test_bad_translations_are_not_cached(
    llm: FakeChatServer, translator: NewsTranslator, reply: Reply
) -> None:
    llm.script = [reply]
    assert translator.translate_soon([ITEM]) == 1
    await translator.wait()
    assert await translator.cached(ITEM) is None
    assert await translator.state.get_state(cache_key(ITEM)) is None


async def test_korean_items_are_not_translated(llm: FakeChatServer, translator: NewsTranslator) -> None:
    korean = NewsItem("https://example.com/ko", "삼성전자 실적 발표", "연합", NOW, language="ko")
    assert translator.translate_soon([korean]) == 0
    assert llm.requests == []
