"""NewsService.crawl against a real HTTP server on 127.0.0.1 serving feeds in the documented shapes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core.errors import StorageError
from core.ports import Repositories
from core.types import Instrument, Market
from news import NewsService
from news.feeds import FeedState
from tests.news.conftest import ManualClock, yahoo_path
from tests.news.server import FeedServer, Route, data

Build = Callable[..., NewsService]


def serve_standard(server: FeedServer) -> None:
    server.routes[yahoo_path("AAPL")] = Route(data("yahoo_aapl.xml"), etag='"y-aapl-1"')
    server.routes["/inv/rss/news_25.rss"] = Route(
        data("investing_25.xml"), last_modified="Fri, 20 Nov 2026 22:05:00 GMT"
    )
    server.routes["/feeds/stock.atom"] = Route(data("atom_ko.xml"), content_type="application/atom+xml")


async def test_crawl_stores_normalised_classified_items(
    server: FeedServer, make_service: Build, news_repos: Repositories
) -> None:
    serve_standard(server)
    svc = make_service(news_investing_categories=[25], news_feeds=[server.url + "/feeds/stock.atom"])

    result = await svc.crawl(["AAPL"])

    assert result.errors == {}
    assert result.fetched == 3
    # 3 Yahoo + 3 Investing + 2 Atom entries; the Investing copy of the Reuters story is a duplicate.
    assert result.new == 7
    assert result.duplicates == 1
    stored = {i.url: i for i in await news_repos.news.list_news(limit=50)}
    assert len(stored) == 7
    apple = stored["https://finance.yahoo.com/news/apple-10-billion-data-centers-211503123.html"]
    assert apple.source == "Yahoo Finance"
    assert apple.published == datetime(2026, 11, 20, 21, 15, 3, tzinfo=UTC)
    assert "AAPL" in apple.symbols
    assert apple.kind == "company_event"
    assert apple.language == "en"
    assert apple.guid == "5c0f4b4e-3d2a-3a8e-9b2f-1f4a2b7c9d10"
    assert len(apple.summary) <= 300
    assert apple.summary.startswith("Apple Inc. said on Thursday")
    chips = stored["https://uk.finance.yahoo.com/news/nvidia-supplier-tsmc-sales-090000456.html"]
    assert "semiconductors" in chips.industries
    assert "TSM" in chips.symbols
    # HTML removed from the summary; tracking stripped from every link.
    stocks = next(i for i in stored.values() if i.title.startswith("Stocks close higher"))
    assert stocks.summary == "U.S. stocks ended higher on Friday as investors cheered cooler inflation data."
    assert all("utm_" not in u and "tsrc" not in u and "guccounter" not in u for u in stored)
    samsung = stored["https://kr.investing.com/news/stock-market-news/article-1122334"]
    assert samsung.source == "Investing.com"
    assert samsung.language == "ko"
    assert {"005930.KS", "NVDA"} <= set(samsung.symbols)
    assert samsung.industries == ("semiconductors",)
    assert samsung.published == datetime(2026, 11, 21, 0, 30, tzinfo=UTC)  # zone-less pubDate read as UTC
    kau = stored["https://news.example.co.kr/article/202611210001"]
    assert kau.source == "예시경제 증권"
    assert kau.published == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # +09:00 converted
    assert kau.symbols == ("KAU", "KAU25")
    assert kau.industries == ("carbon",)
    assert "더보기" not in kau.summary
    assert kau.summary.startswith("국내 탄소배출권")


async def test_requests_look_like_a_browser_and_hit_each_feed_once(
    server: FeedServer, make_service: Build
) -> None:
    serve_standard(server)
    svc = make_service(news_investing_categories=[25, 25])
    await svc.crawl(["AAPL", "AAPL", " "])
    assert len(server.hits("/rss/2.0/headline")) == 1
    assert len(server.hits("/inv/rss/news_25.rss")) == 1
    ua = server.requests[0].headers["user-agent"]
    assert ua.startswith("Mozilla/5.0")
    assert "Chrome/" in ua
    assert "application/rss+xml" in server.requests[0].headers["accept"]


async def test_polite_interval_and_conditional_requests(
    server: FeedServer, make_service: Build, clock: ManualClock
) -> None:
    serve_standard(server)
    svc = make_service(news_investing_categories=[25])
    first = await svc.crawl(["AAPL"])
    assert first.new == 5

    clock.advance(120)  # too soon: no request at all
    again = await svc.crawl(["AAPL"])
    assert set(again.skipped) == {"yahoo:AAPL", "investing:25"}
    assert len(server.requests) == 2

    clock.advance(181)  # 301 s after the first crawl: conditional GETs, answered 304
    later = await svc.crawl(["AAPL"])
    assert later.not_modified == 2
    assert later.new == 0
    assert later.errors == {}
    yahoo_req = server.hits("/rss/2.0/headline")[-1]
    inv_req = server.hits("/inv/")[-1]
    assert yahoo_req.headers["if-none-match"] == '"y-aapl-1"'
    assert inv_req.headers["if-modified-since"] == "Fri, 20 Nov 2026 22:05:00 GMT"


async def test_same_items_on_a_later_run_are_not_stored_twice(
    server: FeedServer, make_service: Build, clock: ManualClock, news_repos: Repositories
) -> None:
    serve_standard(server)
    svc = make_service(news_investing_categories=[25])
    await svc.crawl(["AAPL"])
    # The server loses its validators (new ETag) but serves the same stories with other tracking params.
    body = data("yahoo_aapl.xml").replace(b"?.tsrc=rss", b"?.tsrc=rss&amp;utm_source=twitter")
    server.routes[yahoo_path("AAPL")] = Route(body, etag='"y-aapl-2"')
    clock.advance(600)
    second = await svc.crawl(["AAPL"])
    assert second.fetched == 1
    assert second.not_modified == 1
    assert second.new == 0
    assert second.duplicates == 3
    assert len(await news_repos.news.list_news(limit=50)) == 5


async def test_rate_limited_feed_backs_off_beyond_the_interval(
    server: FeedServer, make_service: Build, clock: ManualClock
) -> None:
    server.routes[yahoo_path("AAPL")] = Route(
        b"slow down", 429, "text/plain", headers={"Retry-After": "1800"}
    )
    svc = make_service()
    result = await svc.crawl(["AAPL"])
    assert "429" in result.errors["yahoo:AAPL"]
    clock.advance(900)  # past the 5-minute interval, still inside Retry-After
    assert (await svc.crawl(["AAPL"])).skipped == ("yahoo:AAPL",)
    clock.advance(901)
    server.routes[yahoo_path("AAPL")] = Route(data("yahoo_aapl.xml"))
    assert (await svc.crawl(["AAPL"])).new == 3


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (Route(data("cloudflare_403.html"), 403, "text/html"), "HTTP 403 (bot-challenge page"),
        (
            Route(data("cloudflare_challenge.html"), 200, "text/html"),
            "bot-challenge page ('Just a moment...')",
        ),
        (Route(b"<html><body>Welcome</body></html>", 200, "text/html"), "an HTML page where a feed"),
        (Route(b"", 200), "empty response body"),
        (Route(b'{"items": []}', 200, "application/json"), "no XML element"),
        (Route(b"oops", 503, "text/plain"), "HTTP 503"),
        (Route(b"gone", 404, "text/plain"), "HTTP 404"),
        (Route(data("yahoo_notfound.xml")), "Yahoo has no feed for AAPL"),
    ],
    ids=[
        "403-cloudflare",
        "challenge-200",
        "html-page",
        "empty-body",
        "json",
        "503",
        "404",
        "yahoo-not-found",
    ],
)
async def test_bad_responses_become_feed_errors(
    server: FeedServer, make_service: Build, route: Route, expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes[yahoo_path("AAPL")] = route
    server.routes["/inv/rss/news_25.rss"] = Route(data("investing_25.xml"))
    svc = make_service(news_investing_categories=[25])
    with caplog.at_level(logging.WARNING, logger="news"):
        result = await svc.crawl(["AAPL"])
    assert expected in result.errors["yahoo:AAPL"]
    assert result.new == 3  # the other feed is unaffected
    assert any("yahoo:AAPL" in r.getMessage() and expected in r.getMessage() for r in caplog.records)


async def test_empty_feed_is_not_an_error(server: FeedServer, make_service: Build) -> None:
    server.routes["/quiet.xml"] = Route(data("empty_feed.xml"))
    result = await make_service(news_feeds=[server.url + "/quiet.xml"]).crawl()
    assert result.errors == {}
    assert result.fetched == 1
    assert result.new == 0


async def test_malformed_xml_keeps_the_readable_items(
    server: FeedServer, make_service: Build, news_repos: Repositories
) -> None:
    server.routes["/broken.xml"] = Route(data("malformed.xml"))
    result = await make_service(news_feeds=[server.url + "/broken.xml"]).crawl()
    assert "malformed XML" in result.errors[f"127.0.0.1:{server.url.rsplit(':', 1)[1]}/broken.xml"]
    assert [i.title for i in result.items] == ["Fed holds rates steady, signals two cuts next year"]
    assert result.dropped == 1  # the unclosed item has no usable link


async def test_items_without_link_title_or_date(
    server: FeedServer,
    make_service: Build,
    clock: ManualClock,
    news_repos: Repositories,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.routes["/sloppy.xml"] = Route(data("missing_fields.xml"))
    with caplog.at_level(logging.INFO, logger="news"):
        result = await make_service(news_feeds=[server.url + "/sloppy.xml"]).crawl()
    assert result.dropped == 3  # no link, no title, javascript: link
    assert result.undated == 2  # no date, unreadable date
    by_title = {i.title: i for i in result.items}
    assert set(by_title) == {
        "Headline without a date about Hyundai Motor",
        "Headline with only a permalink guid",
        "Headline with an unreadable date",
    }
    assert by_title["Headline without a date about Hyundai Motor"].published == clock.now()
    assert by_title["Headline with only a permalink guid"].published == datetime(
        2026, 11, 20, 2, 0, tzinfo=UTC
    )
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "no usable link" in messages
    assert "without a title" in messages
    assert "no readable date" in messages


async def test_ten_megabyte_response_is_cut_off(server: FeedServer, make_service: Build) -> None:
    item = b"<item><title>Filler headline number</title><link>https://x.example.com/a</link></item>\n"
    huge = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>' + item * (
        10_000_000 // len(item)
    )
    assert len(huge) >= 9_900_000
    server.routes["/huge-stream.xml"] = Route(huge, send_length=False)
    server.routes["/huge-length.xml"] = Route(huge)
    svc = make_service(news_feeds=[server.url + "/huge-stream.xml", server.url + "/huge-length.xml"])
    result = await svc.crawl()
    assert result.new == 0
    errors = sorted(result.errors.values())
    assert errors[0].startswith("Content-Length 100")
    assert "exceeds the 2000000 byte limit" in errors[0]
    assert "passed the 2000000 byte limit; stopped reading" in errors[1]


async def test_slow_servers_time_out(server: FeedServer, make_service: Build) -> None:
    server.routes["/stall.xml"] = Route(data("empty_feed.xml"), delay_s=5)
    # Each chunk arrives within the read timeout, but the whole body never would.
    server.routes["/trickle.xml"] = Route(data("yahoo_aapl.xml"), chunk=64, trickle_s=0.2)
    svc = make_service(
        news_timeout_s=0.5, news_feeds=[server.url + "/stall.xml", server.url + "/trickle.xml"]
    )
    result = await svc.crawl()
    assert len(result.errors) == 2
    assert all("timed out" in e or "no complete response within 0.5s" in e for e in result.errors.values())


async def test_html_page_feed_and_single_article_page(
    server: FeedServer, make_service: Build, news_repos: Repositories
) -> None:
    server.routes["/markets"] = Route(data("page.html"), content_type="text/html")
    server.routes["/crypto/bitcoin-100k"] = Route(data("article.html"), content_type="text/html")
    svc = make_service(news_feeds=[server.url + "/markets", server.url + "/crypto/bitcoin-100k"])
    result = await svc.crawl()
    assert result.errors == {}
    urls = {i.url: i for i in result.items}
    assert set(urls) == {
        f"{server.url}/markets/oil-opec-output-20261121",
        "https://wire.example.com/banks/regional-banks-deposits",
        "https://wire.example.com/crypto/bitcoin-100k",
    }
    oil = urls[f"{server.url}/markets/oil-opec-output-20261121"]
    assert oil.industries == ("energy",)
    assert oil.source == "Markets | Example Wire"
    assert urls["https://wire.example.com/crypto/bitcoin-100k"].industries == ("blockchain",)


async def test_instrument_registry_routes_yahoo_feeds(
    server: FeedServer, make_service: Build, news_repos: Repositories
) -> None:
    await news_repos.instruments.upsert_instruments(
        [
            Instrument(
                "KAU25", "Korean Allowance Unit 2025", Market.KETS, "KRW", "Asia/Seoul", sources=("krx",)
            ),
            Instrument(
                "SAMSUNG",
                "Samsung Electronics Co Ltd",
                Market.KRX,
                "KRW",
                "Asia/Seoul",
                sources=("yahoo",),
                source_symbols={"yahoo": "005930.KS"},
            ),
        ]
    )
    server.routes[yahoo_path("005930.KS")] = Route(data("yahoo_aapl.xml").replace(b"AAPL", b"005930.KS"))
    result = await make_service().crawl(["KAU25", "SAMSUNG"])
    assert [r.path for r in server.requests] == [yahoo_path("005930.KS")]
    assert result.errors == {}
    assert all("SAMSUNG" in i.symbols for i in result.items)


async def test_a_failing_host_does_not_hold_up_the_crawl(
    server: FeedServer, make_service: Build, clock: ManualClock
) -> None:
    for n in range(4):
        server.routes[f"/stall{n}.xml"] = Route(data("empty_feed.xml"), delay_s=5)
    feeds = [f"{server.url}/stall{n}.xml" for n in range(4)]
    svc = make_service(news_timeout_s=0.3, news_feeds=feeds)
    result = await svc.crawl()
    assert len(server.requests) == 2
    assert len(result.errors) == 4
    assert sum("failed twice in a row" in e for e in result.errors.values()) == 2
    assert len(result.skipped) == 2
    # The feeds that were not tried are due at once; the two that failed wait their interval.
    for n in range(4):
        server.routes[f"/stall{n}.xml"] = Route(data("empty_feed.xml"))
    clock.advance(60)
    again = await svc.crawl()
    assert again.fetched == 2
    assert again.errors == {}


async def test_one_story_in_two_ticker_feeds_is_stored_once_with_both_symbols(
    server: FeedServer, make_service: Build, news_repos: Repositories
) -> None:
    server.routes[yahoo_path("AAPL")] = Route(data("yahoo_aapl.xml"))
    server.routes[yahoo_path("MSFT")] = Route(data("yahoo_aapl.xml"))
    result = await make_service().crawl(["AAPL", "MSFT"])
    assert result.new == 3
    assert result.duplicates == 3
    for stored in await news_repos.news.list_news(symbol="MSFT", limit=10):
        assert {"AAPL", "MSFT"} <= set(stored.symbols)


class FailingNews:
    async def add_news(self, items: object) -> list[object]:
        raise StorageError("database is locked")

    async def list_news(self, **kwargs: object) -> list[object]:
        return []


async def test_storage_failure_propagates_and_keeps_no_validators(
    server: FeedServer, news_repos: Repositories, make_service: Build, clock: ManualClock
) -> None:
    server.routes[yahoo_path("AAPL")] = Route(data("yahoo_aapl.xml"), etag='"v1"')
    svc = make_service(repos=replace(news_repos, news=FailingNews()))
    with pytest.raises(StorageError):
        await svc.crawl(["AAPL"])
    clock.advance(301)
    ok = await make_service().crawl(["AAPL"])
    assert ok.new == 3
    assert "if-none-match" not in server.requests[-1].headers  # the body was fetched again in full


async def test_unreadable_feed_state_starts_afresh(
    server: FeedServer, news_repos: Repositories, make_service: Build
) -> None:
    server.routes[yahoo_path("AAPL")] = Route(data("yahoo_aapl.xml"))
    svc = make_service()
    (feed,) = svc.feeds(["AAPL"])
    await news_repos.state.put_state(FeedState.key(feed), b"\x00not json")
    assert (await svc.crawl(["AAPL"])).new == 3
    await news_repos.state.put_state(FeedState.key(feed), b'{"last_attempt": "garbage"}')
    assert (await svc.crawl(["AAPL"])).fetched == 1
