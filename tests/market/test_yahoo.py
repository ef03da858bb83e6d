"""Yahoo chart v8 adapter against the local fake server."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.types import Interval
from market import MarketData
from tests.fakes.fake_sources import Failure, FakeSources
from tests.fakes.source_payloads import Row, daily_rows, utc
from tests.market.conftest import make_settings

START = date(2026, 11, 2)
CLOSES = [100.0 + i for i in range(15)]  # 2026-11-02 .. 2026-11-20, weekdays


async def test_daily_bars_stored_with_source_and_exchange_dates(md: MarketData, fake: FakeSources) -> None:
    fake.add_yahoo("AAPL", daily_rows(START, CLOSES))
    fake.add_yahoo("005930.KS", daily_rows(START, CLOSES), tz="Asia/Seoul", currency="KRW")
    res = await md.update([await md.resolve("AAPL"), await md.resolve("005930")])
    assert res.failures == {}
    assert res.sources == {"AAPL": "yahoo", "005930.KS": "yahoo"}
    for symbol in ("AAPL", "005930.KS"):
        bars = await md.repos.bars.list_bars(symbol)
        assert [b.close for b in bars] == CLOSES
        # 09:00 KST is the previous day in UTC: stored under the exchange's trading date
        assert bars[0].ts == utc(START)
        assert {b.source for b in bars} == {"yahoo"}
        assert res.new_bars[symbol] == bars
    req = next(r for r in fake.requests if r.path.endswith("/AAPL"))
    assert req.query["interval"] == "1d"
    assert req.query["events"] == "div,splits"
    assert "Mozilla" in req.headers["User-Agent"]


async def test_null_rows_skipped_and_all_null_is_no_data(md: MarketData, fake: FakeSources) -> None:
    rows = daily_rows(START, CLOSES)
    rows[3] = Row(rows[3].day, None, None, None, None, None)
    fake.add_yahoo("AAPL", rows)
    fake.add_yahoo("MSFT", [Row(r.day, None, None, None, None, None) for r in rows])
    res = await md.update([await md.resolve("AAPL"), await md.resolve("MSFT")])
    assert len(res.new_bars["AAPL"]) == 14
    assert "all 15 rows have null prices" in res.failures["MSFT"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (Failure.RATE_LIMIT, "yahoo: HTTP 429"),
        (Failure.UNAUTHORIZED, "yahoo: HTTP 401"),
        (Failure.FORBIDDEN, "yahoo: HTTP 403"),
        (Failure.HTML, "yahoo: HTML page instead of JSON"),
        (Failure.TRUNCATED, "yahoo: truncated or invalid JSON"),
        (Failure.EMPTY, "yahoo: no bars for AAPL"),
    ],
)
async def test_failure_payloads(md: MarketData, fake: FakeSources, failure: Failure, expected: str) -> None:
    fake.add_yahoo("AAPL", daily_rows(START, CLOSES))
    fake.fail("yahoo", failure)
    res = await md.update([await md.resolve("AAPL")])
    assert expected in res.failures["AAPL"]
    assert await md.repos.bars.last_bar("AAPL") is None


async def test_unknown_ticker_is_no_data_and_does_not_trip_breaker(md: MarketData, fake: FakeSources) -> None:
    for _ in range(5):
        res = await md.update([await md.resolve("ZZZZ")])
        assert "No data found, symbol may be delisted" in res.failures["ZZZZ"]
    yahoo = next(h for h in md.health() if h.source == "yahoo")
    assert yahoo.breaker == "closed"
    assert yahoo.failures == 0


async def test_transient_errors_are_retried_permanent_ones_not(md: MarketData, fake: FakeSources) -> None:
    fake.add_yahoo("AAPL", daily_rows(START, CLOSES))
    fake.fail("yahoo", Failure.RATE_LIMIT, times=2)
    res = await md.update([await md.resolve("AAPL")])
    assert not res.failures
    assert fake.count("yahoo") == 3
    fake.fail("yahoo", Failure.UNAUTHORIZED, times=1)
    before = fake.count("yahoo")
    res = await md.update([await md.resolve("AAPL")])
    assert "HTTP 401" in res.failures["AAPL"]
    assert (
        fake.count("yahoo") - before == 1
    )  # fallback (alphavantage) has no data for AAPL; yahoo not retried


async def test_timeout(fake: FakeSources, sqlite_repos, clock) -> None:  # type: ignore[no-untyped-def]
    fake.add_yahoo("AAPL", daily_rows(START, CLOSES))
    fake.slow_s = 0.5
    fake.fail("yahoo", Failure.SLOW)
    md = MarketData(
        make_settings(fake, http_timeout_s=0.1, market_retry_attempts=2), sqlite_repos, clock=clock
    )
    try:
        res = await md.update([await md.resolve("AAPL")])
    finally:
        await md.close()
    assert "yahoo: timed out after 0.1s" in res.failures["AAPL"]
    assert fake.count("yahoo") == 2


async def test_new_split_readjusts_stored_history_without_refetch(md: MarketData, fake: FakeSources) -> None:
    rows = daily_rows(START, CLOSES)
    fake.add_yahoo("NVDA", rows[:10])
    inst = await md.resolve("NVDA")
    await md.update([inst])
    assert {b.adj_factor for b in await md.repos.bars.list_bars("NVDA")} == {1.0}
    split_day = rows[12].day
    after = [Row(r.day, r.open / 4, r.high / 4, r.low / 4, r.close / 4, r.volume) for r in rows[12:]]  # type: ignore[operator]
    fake.add_yahoo("NVDA", [*rows[:12], *after], splits=[(split_day, 4, 1)])
    before = fake.count("yahoo")
    res = await md.update([inst])
    assert fake.count("yahoo") - before == 1
    req = fake.requests[-1]
    assert datetime.fromtimestamp(int(req.query["period1"]), ZoneInfo("UTC")).date() >= rows[8].day
    bars = await md.repos.bars.list_bars("NVDA")
    assert [b.adj_factor for b in bars] == [0.25] * 12 + [1.0] * 3
    adjusted = [b.adj_close for b in bars]
    assert adjusted == pytest.approx([c / 4 for c in CLOSES])  # continuous adjusted series
    assert not any("outlier" in b.flags for b in bars)  # the split is not an outlier on adjusted prices
    assert [b.ts.date() for b in res.new_bars["NVDA"]][-3:] == [r.day for r in rows[12:]]
    # the same split reported again is not applied twice
    await md.update([inst])
    assert [b.adj_factor for b in await md.repos.bars.list_bars("NVDA")] == [0.25] * 12 + [1.0] * 3


async def test_intraday_1m_resampled_to_5m(md: MarketData, fake: FakeSources) -> None:
    fake.add_yahoo("AAPL", daily_rows(START, CLOSES))
    res = await md.update([await md.resolve("AAPL")], interval=Interval.M5)
    # the fake serves daily rows at the session open; resampled into 5-minute buckets they stay one each
    bars = await md.repos.bars.list_bars("AAPL", Interval.M5)
    assert not res.failures
    assert bars
    assert all(b.interval == Interval.M5 for b in bars)
    ny = ZoneInfo("America/New_York")
    assert bars[-1].ts == datetime.combine(date(2026, 11, 20), time(9, 30), tzinfo=ny).astimezone(
        ZoneInfo("UTC")
    )
    req = fake.requests[-1]
    assert req.query["interval"] == "1m"


async def test_dividend_adjusts_earlier_bars_once(md: MarketData, fake: FakeSources) -> None:
    rows = daily_rows(START, CLOSES)
    fake.add_yahoo("SPY", rows[:8])
    inst = await md.resolve("SPY")
    await md.update([inst])
    ex_day = rows[10].day
    fake.add_yahoo("SPY", rows, dividends=[(ex_day, 2.18)])  # close before the ex-date: 109
    await md.update([inst])
    await md.update([inst])  # reported again: not applied twice
    bars = await md.repos.bars.list_bars("SPY")
    factors = [b.adj_factor for b in bars]
    assert factors[:10] == pytest.approx([1 - 2.18 / 109] * 10)
    assert factors[10:] == [1.0] * 5
    assert [b.close for b in bars] == CLOSES  # raw prices untouched


async def test_sources_implement_the_price_source_port(md: MarketData, fake: FakeSources) -> None:
    from core.ports import PriceSource

    fake.add_yahoo("AAPL", daily_rows(START, CLOSES))
    for name in ("yahoo", "krx", "alphavantage", "eex"):
        assert isinstance(md.sources[name], PriceSource)
    bars = await md.sources["yahoo"].fetch_bars(
        await md.resolve("AAPL"), Interval.D1, date(2026, 11, 4), date(2026, 11, 6)
    )
    assert [b.ts.date() for b in bars] == [date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 6)]
    assert await md.sources["alphavantage"].fetch_quote(await md.resolve("AAPL")) is None  # budget: no quotes
