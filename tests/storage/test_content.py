"""NewsRepo and RatingRepo on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.views import pick_rating
from core.ports import Repositories
from core.types import NewsItem, Rating, SignalType

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def news(n: int, **kw: object) -> NewsItem:
    fields: dict[str, object] = {
        "url": f"https://news.example.com/articles/{n}?id=" + "x" * 600,  # longer than any index
        "title": f"배출권 가격 급등 {n}",
        "source": "yonhap",
        "published": T0 + timedelta(hours=n),
        "summary": "KAU25 상승",
        "language": "ko",
        "guid": f"guid-{n}",
        "fingerprint": f"fp{n}",
        "symbols": ("KAU25",),
        "industries": ("carbon",),
        "kind": "market",
    }
    fields.update(kw)
    return NewsItem(**fields)  # type: ignore[arg-type]


async def test_add_news_returns_new_items_and_round_trips(repos: Repositories) -> None:
    items = [news(1), news(2, symbols=("005930.KS", "KAU25"), industries=())]
    new = await repos.news.add_news(items)
    assert [n.id is not None for n in new] == [True, True]
    assert [replace(n, id=None) for n in new] == items
    assert new[0].published.tzinfo is UTC
    assert await repos.news.add_news(items) == []
    assert await repos.news.add_news([]) == []


async def test_news_dedup_by_url_guid_or_fingerprint(repos: Repositories) -> None:
    await repos.news.add_news([news(1)])
    same_guid = news(2, guid="guid-1")
    same_fingerprint = news(3, fingerprint="fp1")
    same_url = news(4, url=news(1).url, guid="", fingerprint="")
    in_batch_twice = [news(5), news(6, guid="guid-5")]
    fresh = await repos.news.add_news([same_guid, same_fingerprint, same_url, *in_batch_twice])
    assert [n.title for n in fresh] == [news(5).title]
    no_keys = [news(7, guid="", fingerprint=""), news(8, guid="", fingerprint="")]
    assert len(await repos.news.add_news(no_keys)) == 2


async def test_list_news_newest_first_filtered(repos: Repositories) -> None:
    await repos.news.add_news(
        [
            news(1, symbols=("AAPL",), industries=("tech",)),
            news(2, symbols=("AAPL", "MSFT"), industries=("tech",)),
            news(3, symbols=("KAU25",), industries=("carbon",)),
            news(4, symbols=("AAPLX",), industries=("tech_hardware",)),
        ]
    )
    assert [n.guid for n in await repos.news.list_news()] == ["guid-4", "guid-3", "guid-2", "guid-1"]
    assert [n.guid for n in await repos.news.list_news(symbol="AAPL")] == ["guid-2", "guid-1"]
    assert [n.guid for n in await repos.news.list_news(industry="tech", limit=1)] == ["guid-2"]
    assert await repos.news.list_news(symbol="A_PL") == []  # LIKE wildcards are escaped
    assert [n.guid for n in await repos.news.list_news(symbol="MSFT", industry="tech")] == ["guid-2"]


def rating(symbol: str, signal: SignalType, horizon: int, **kw: object) -> Rating:
    fields: dict[str, object] = {
        "symbol": symbol,
        "signal": signal,
        "horizon": horizon,
        "count": 12,
        "hit_rate": 0.583333,
        "mean_return": 0.0123,
        "median_return": 0.01,
        "baseline_mean": 0.004,
        "excess": 0.0083,
        "t_stat": 1.91,
        "worst_mae": -0.087,
        "sd_return": 0.041,
        "median_drawdown": -0.032,
        "worst_drawdown": -0.121,
        "return_risk": 0.44,
        "grade": "B",
        "period_start": datetime(2015, 1, 2, tzinfo=UTC),
        "period_end": datetime(2025, 1, 2, tzinfo=UTC),
        "excluded": 1,
        "params": {"fast": 50, "slow": 200, "note": "골든크로스"},
        "run_at": datetime(2025, 1, 3, 4, 5, 6, 789000, tzinfo=UTC),
    }
    fields.update(kw)
    return Rating(**fields)  # type: ignore[arg-type]


async def test_ratings_upsert_list_get(repos: Repositories) -> None:
    ratings = [
        rating("AAPL", SignalType.GOLDEN_CROSS, 20),
        rating("AAPL", SignalType.GOLDEN_CROSS, 5),
        rating("AAPL", SignalType.DEATH_CROSS, 5, hit_rate=None, t_stat=None, grade="insufficient data"),
        rating("IBM", SignalType.GOLDEN_CROSS, 5),
    ]
    assert await repos.ratings.upsert_ratings(ratings) == 4
    assert await repos.ratings.upsert_ratings(ratings) == 4
    listed = await repos.ratings.list_ratings("AAPL")
    assert [(r.signal, r.horizon) for r in listed] == [
        (SignalType.DEATH_CROSS, 5),
        (SignalType.GOLDEN_CROSS, 5),
        (SignalType.GOLDEN_CROSS, 20),
    ]
    assert listed[1] == ratings[1]
    assert listed[0].hit_rate is None
    regraded = rating("AAPL", SignalType.GOLDEN_CROSS, 5, grade="A", count=30, run_at=None)
    await repos.ratings.upsert_ratings([regraded])
    got = await repos.ratings.get_rating("AAPL", SignalType.GOLDEN_CROSS, 5)
    assert got is not None
    assert (got.grade, got.count) == ("A", 30)
    assert got.run_at is not None
    assert got.run_at.tzinfo is UTC
    assert await repos.ratings.get_rating("AAPL", SignalType.GOLDEN_CROSS, 60) is None
    assert await repos.ratings.list_ratings("NOPE") == []
    assert await repos.ratings.upsert_ratings([]) == 0


async def test_pick_ratings_prefers_the_horizon_else_the_shortest(repos: Repositories) -> None:
    symbols = [f"S{n:04d}" for n in range(1200)]
    stored = [rating(s, SignalType.GOLDEN_CROSS, h) for s in symbols for h in (60, 20, 5)]
    stored += [rating("S0001", SignalType.DEATH_CROSS, h) for h in (60, 10)]
    await repos.ratings.upsert_ratings(stored)
    gc, dc = SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS
    pairs = [(s, gc) for s in symbols] + [("S0001", dc), ("S0002", dc), ("NOPE", gc)]
    picked = await repos.ratings.pick_ratings(pairs, 20)
    assert set(picked) == {(s, gc) for s in symbols} | {("S0001", dc)}
    assert {r.horizon for k, r in picked.items() if k[1] is gc} == {20}
    assert picked[("S0001", dc)].horizon == 10  # no 20-day rating: the shortest there is
    for (symbol, signal), got in list(picked.items())[:50]:
        assert got == pick_rating(await repos.ratings.list_ratings(symbol), signal, 20)
    assert await repos.ratings.pick_ratings([], 20) == {}
