"""The composition root's own glue: crawled news reaches the news alerter; alerts survive its failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from core.types import NewsItem
from finsignal.runtime import AlertingNews
from news import CrawlResult

ITEM = NewsItem(
    url="https://example.org/a",
    title="Samsung beats",
    source="t",
    published=datetime(2026, 11, 20, tzinfo=UTC),
)


class StubNews:
    def __init__(self, result: CrawlResult) -> None:
        self.result = result
        self.calls: list[list[str]] = []

    async def crawl(self, symbols: Sequence[str] = ()) -> CrawlResult:
        self.calls.append(list(symbols))
        return self.result


class RecordingPublisher:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.published: list[NewsItem] = []

    async def publish_news(self, items: Sequence[NewsItem]) -> int:
        if self.fail:
            raise RuntimeError("outbox down")
        self.published.extend(items)
        return len(items)


async def test_new_items_go_to_the_alerter() -> None:
    news, publisher = StubNews(CrawlResult(items=(ITEM,))), RecordingPublisher()
    result = await AlertingNews(news, publisher).crawl(["005930.KS"])  # type: ignore[arg-type]
    assert result.new == 1
    assert news.calls == [["005930.KS"]]
    assert publisher.published == [ITEM]


async def test_nothing_new_publishes_nothing() -> None:
    publisher = RecordingPublisher()
    await AlertingNews(StubNews(CrawlResult()), publisher).crawl([])  # type: ignore[arg-type]
    assert publisher.published == []


async def test_alerter_failure_does_not_fail_the_crawl(caplog: pytest.LogCaptureFixture) -> None:
    news = StubNews(CrawlResult(items=(ITEM,)))
    result = await AlertingNews(news, RecordingPublisher(fail=True)).crawl(["X"])  # type: ignore[arg-type]
    assert result.items == (ITEM,)
    assert "news alerts failed" in caplog.text


async def test_new_items_are_published_as_news_events() -> None:
    from dataclasses import replace

    from market.bus import LocalEventBus

    bus = LocalEventBus()
    got: list[tuple[str, dict[str, object]]] = []
    bus.subscribe(["news:005930.KS", "news:*"], lambda topic, message: got.append((topic, message)))
    tagged = replace(ITEM, url="https://example.org/b", symbols=("005930.KS",), industries=("semis",))
    news = StubNews(CrawlResult(items=(tagged, ITEM)))
    await AlertingNews(news, RecordingPublisher(), bus).crawl(["005930.KS"])  # type: ignore[arg-type]
    assert [(topic, m["url"]) for topic, m in got] == [
        ("news:005930.KS", tagged.url),
        ("news:*", ITEM.url),  # no symbol: the catch-all topic
    ]
    assert got[0][1]["industries"] == ["semis"]
    assert got[0][1]["title"] == "Samsung beats"
