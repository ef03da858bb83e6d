"""Serving: latest() by symbol or industry (Korean or English), the translation hook, industries()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import UsageError
from core.ports import Repositories
from core.types import NewsItem
from news import NewsService, Query, resolve_query
from news.normalize import fingerprint

Build = Callable[..., NewsService]
BASE = datetime(2026, 11, 20, tzinfo=UTC)


def item(
    n: int, title: str, *, symbols: tuple[str, ...] = (), industries: tuple[str, ...] = (), lang: str = "en"
) -> NewsItem:
    return NewsItem(
        url=f"https://n.example.com/{n}",
        title=title,
        source="Example",
        published=BASE + timedelta(hours=n),
        summary=f"Summary {n}.",
        language=lang,
        guid=f"g{n}",
        fingerprint=fingerprint(title),
        symbols=symbols,
        industries=industries,
        kind="market_trend",
    )


@pytest.fixture
async def stocked(news_repos: Repositories) -> Repositories:
    await news_repos.news.add_news(
        [
            item(1, "Samsung chip profit jumps", symbols=("005930.KS",), industries=("semiconductors",)),
            item(2, "삼성전자 HBM 양산", symbols=("005930.KS",), industries=("semiconductors",), lang="ko"),
            item(3, "Carbon price record", symbols=("KAU", "KAU25"), industries=("carbon",)),
            item(4, "FCO2 inflows", symbols=("FCO2.DE",), industries=("carbon",)),
            item(5, "Fed holds rates"),
            item(6, "Nvidia results", symbols=("NVDA",), industries=("semiconductors",)),
        ]
    )
    return news_repos


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        (None, ["Nvidia results", "Fed holds rates", "FCO2 inflows"]),
        ("semiconductors", ["Nvidia results", "삼성전자 HBM 양산", "Samsung chip profit jumps"]),
        ("반도체", ["Nvidia results", "삼성전자 HBM 양산", "Samsung chip profit jumps"]),
        ("Semiconductors", ["Nvidia results", "삼성전자 HBM 양산", "Samsung chip profit jumps"]),
        ("탄소배출권", ["FCO2 inflows", "Carbon price record"]),
        ("FCO2.DE", ["FCO2 inflows"]),
        ("fco2.de", ["FCO2 inflows"]),
        ("삼성전자", ["삼성전자 HBM 양산", "Samsung chip profit jumps"]),
        ("005930", ["삼성전자 HBM 양산", "Samsung chip profit jumps"]),
        ("KAU25", ["Carbon price record"]),
        ("TSLA", []),
    ],
)
async def test_latest_by_symbol_or_industry(
    stocked: Repositories, make_service: Build, query: str | None, titles: list[str]
) -> None:
    got = await make_service().latest(query, limit=3)
    assert [i.title for i in got] == titles


async def test_latest_limit_is_clamped(stocked: Repositories, make_service: Build) -> None:
    svc = make_service()
    assert len(await svc.latest(limit=0)) == 1
    assert len(await svc.latest(limit=1000)) == 6


async def test_unusable_query_finds_nothing_and_resolve_query_says_why(
    stocked: Repositories, make_service: Build
) -> None:
    assert await make_service().latest("what's up?") == []
    with pytest.raises(UsageError, match=r"neither a symbol nor an industry.*semiconductors"):
        resolve_query("what's up?")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("chips", Query(industry="semiconductors")),
        ("crypto", Query(industry="blockchain")),
        ("가상자산", Query(industry="blockchain")),
        ("Blockchain & crypto", Query(industry="blockchain")),
        ("전기차", Query(industry="autos")),
        ("Tesla", Query(symbol="TSLA")),  # a known company wins over the autos keyword
        ("KAU", Query(symbol="KAU")),
        ("$aapl", Query(symbol="AAPL")),
        ("^N225", Query(symbol="^N225")),
        ("123456", Query(symbol="123456.KS")),
        ("  ", Query()),
    ],
)
def test_resolve_query(query: str, expected: Query) -> None:
    assert resolve_query(query) == expected


async def test_translation_hook(stocked: Repositories, make_service: Build) -> None:
    calls: list[tuple[str, str]] = []

    async def translate(text: str, target: str) -> str:
        calls.append((text, target))
        return f"[{target}] {text}"

    svc = make_service(translator=translate)
    got = await svc.latest("반도체", limit=3, language="en")
    assert [i.title for i in got] == ["Nvidia results", "[en] 삼성전자 HBM 양산", "Samsung chip profit jumps"]
    assert got[1].language == "en"
    assert got[1].summary == "[en] Summary 2."
    assert calls == [("삼성전자 HBM 양산", "en"), ("Summary 2.", "en")]
    # Off by default: without a language (or without a translator) nothing is translated.
    assert [i.title for i in await svc.latest("반도체", limit=3)][1] == "삼성전자 HBM 양산"
    assert [i.title for i in await make_service().latest("반도체", limit=3, language="en")][
        1
    ] == "삼성전자 HBM 양산"


async def test_failing_translator_keeps_the_original(stocked: Repositories, make_service: Build) -> None:
    async def broken(text: str, target: str) -> str:
        raise RuntimeError("translation service down")

    got = await make_service(translator=broken).latest("005930.KS", language="en")
    assert [i.title for i in got] == ["삼성전자 HBM 양산", "Samsung chip profit jumps"]


def test_industries_for_help(make_service: Build) -> None:
    rows = make_service().industries()
    assert ("semiconductors", "Semiconductors", "반도체") in rows
    assert ("carbon", "Carbon & emissions", "탄소배출권") in rows
    assert all(key and en and ko for key, en, ko in rows)


def test_item_helper_is_realistic() -> None:
    assert replace(item(1, "x"), id=None).published.tzinfo == UTC


async def test_latest_for_a_watchlist(stocked: Repositories, make_service: Build) -> None:
    svc = make_service()
    got = await svc.latest_for(["005930.KS", "NVDA", "FCO2.DE", "NVDA", "KAU25"], limit=3)
    assert [i.title for i in got] == ["Nvidia results", "FCO2 inflows", "Carbon price record"]
    since = BASE + timedelta(hours=4)
    assert [i.title for i in await svc.latest_for(["005930.KS", "FCO2.DE"], since=since)] == ["FCO2 inflows"]
    assert await svc.latest_for([]) == []
    assert await svc.latest_for(["", "what?!", "semiconductors"]) == []
