"""BarRepo on both databases: idempotent upserts, NUMERIC prices, aware UTC, limits, adjustment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from core.ports import Repositories
from core.types import Bar, Interval

T0 = datetime(2024, 1, 2, tzinfo=UTC)


def make_bars(symbol: str, n: int, *, start: datetime = T0, base: float = 100.0) -> list[Bar]:
    return [
        Bar(
            symbol=symbol,
            interval=Interval.D1,
            ts=start + timedelta(days=i),
            open=base + i,
            high=base + i + 1.5,
            low=base + i - 1.25,
            close=base + i + 0.12345678,
            volume=1_000_000.5 + i,
            source="yahoo",
        )
        for i in range(n)
    ]


async def test_upsert_and_list_round_trip(repos: Repositories) -> None:
    bars = make_bars("FCO2.DE", 5)
    assert await repos.bars.upsert_bars(bars) == 5
    stored = await repos.bars.list_bars("FCO2.DE")
    assert stored == bars
    assert all(b.ts.tzinfo is UTC for b in stored)
    assert isinstance(stored[0].close, float)


async def test_upsert_is_idempotent_and_replaces(repos: Repositories) -> None:
    bars = make_bars("AAPL", 3)
    await repos.bars.upsert_bars(bars)
    await repos.bars.upsert_bars(bars)
    fixed = replace(bars[1], close=999.5, flags="outlier", source="krx")
    assert await repos.bars.upsert_bars([fixed]) == 1
    stored = await repos.bars.list_bars("AAPL")
    assert len(stored) == 3
    assert stored[1] == fixed
    assert stored[0] == bars[0]


async def test_duplicates_inside_one_batch_keep_the_last(repos: Repositories) -> None:
    first, second = make_bars("X", 1)[0], make_bars("X", 1, base=50.0)[0]
    assert await repos.bars.upsert_bars([first, second]) == 1
    assert await repos.bars.list_bars("X") == [second]


async def test_non_utc_timestamps_are_stored_as_utc(repos: Repositories) -> None:
    kst = timezone(timedelta(hours=9))
    bar = Bar("005930.KS", Interval.D1, datetime(2024, 3, 4, 9, 0, tzinfo=kst), 1, 2, 0.5, 1.5, 10)
    await repos.bars.upsert_bars([bar])
    (stored,) = await repos.bars.list_bars("005930.KS")
    assert stored.ts == datetime(2024, 3, 4, 0, 0, tzinfo=UTC)
    assert stored.ts.tzinfo is UTC


async def test_filters_limit_and_last_bar(repos: Repositories) -> None:
    await repos.bars.upsert_bars(make_bars("MSFT", 10) + make_bars("IBM", 4))
    await repos.bars.upsert_bars([Bar("MSFT", Interval.M5, T0, 1, 1, 1, 1, 1)])
    window = await repos.bars.list_bars("MSFT", start=T0 + timedelta(days=2), end=T0 + timedelta(days=4))
    assert [b.ts.day for b in window] == [4, 5, 6]
    latest = await repos.bars.list_bars("MSFT", limit=3)
    assert [b.ts for b in latest] == [T0 + timedelta(days=d) for d in (7, 8, 9)]
    last = await repos.bars.last_bar("MSFT")
    assert last is not None
    assert last.ts == T0 + timedelta(days=9)
    assert await repos.bars.last_bar("NOPE") is None
    assert len(await repos.bars.list_bars("MSFT", Interval.M5)) == 1
    assert await repos.bars.upsert_bars([]) == 0


async def test_numeric_precision(repos: Repositories) -> None:
    bar = Bar("KAU25", Interval.D1, T0, 8650.0, 8700.0, 8600.0, 0.12345678, 123456789012.25, adj_factor=0.5)
    await repos.bars.upsert_bars([bar])
    (stored,) = await repos.bars.list_bars("KAU25")
    assert stored.close == 0.12345678
    assert stored.volume == 123456789012.25
    assert stored.adj_close == 0.06172839


async def test_set_adj_factors_multiplies_history_before_each_date(repos: Repositories) -> None:
    await repos.bars.upsert_bars(make_bars("SPLIT", 6) + make_bars("OTHER", 6))
    changed = await repos.bars.set_adj_factors(
        "SPLIT", Interval.D1, [(T0 + timedelta(days=4), 0.5), (T0 + timedelta(days=2), 0.1)]
    )
    assert changed == 4 + 2
    factors = [round(b.adj_factor, 12) for b in await repos.bars.list_bars("SPLIT")]
    assert factors == [0.05, 0.05, 0.5, 0.5, 1.0, 1.0]
    assert {b.adj_factor for b in await repos.bars.list_bars("OTHER")} == {1.0}


async def test_many_bars_in_chunks(repos: Repositories) -> None:
    bars = make_bars("BULK", 4500)
    assert await repos.bars.upsert_bars(bars) == 4500
    assert await repos.bars.upsert_bars(bars) == 4500
    stored = await repos.bars.list_bars("BULK")
    assert len(stored) == 4500
    assert stored[-1] == bars[-1]


async def test_stored_timestamps_match_query_bounds_exactly(repos: Repositories) -> None:
    """The bulk path writes timestamps exactly as queries bind them (microseconds, any zone)."""
    kst = timezone(timedelta(hours=9))
    ts = datetime(2024, 3, 4, 9, 30, 15, 123456, tzinfo=kst)
    await repos.bars.upsert_bars([Bar("MIN", Interval.M1, ts, 1, 1, 1, 1, 1)])
    (exact,) = await repos.bars.list_bars("MIN", Interval.M1, start=ts, end=ts)
    assert exact.ts == ts
    assert exact.ts.tzinfo is UTC
    assert await repos.bars.list_bars("MIN", Interval.M1, start=ts + timedelta(microseconds=1)) == []
