"""Alpha Vantage (fallback) and EEX auction adapters against the local fake server."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from market import MarketData
from market.sources.eex import parse_report
from tests.fakes.fake_sources import AV_KEY, Failure, FakeSources
from tests.fakes.source_payloads import Auction, daily_rows, eex_xlsx, utc
from tests.market.conftest import make_settings

START = date(2026, 11, 2)
CLOSES = [70.0 + i for i in range(15)]


async def test_fco2_falls_back_to_alpha_vantage(
    md: MarketData, fake: FakeSources, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add_av("FCO2.DEX", daily_rows(START, CLOSES))
    fake.fail("yahoo", Failure.HTML)
    res = await md.update([await md.resolve("FCO2.DE")])
    assert res.failures == {}
    assert res.sources == {"FCO2.DE": "alphavantage"}
    bars = await md.repos.bars.list_bars("FCO2.DE")
    assert [b.close for b in bars] == CLOSES  # dates came unordered, stored sorted
    assert {b.source for b in bars} == {"alphavantage"}
    av = [r for r in fake.requests if r.route == "alphavantage"]
    assert av[0].query["function"] == "TIME_SERIES_DAILY"
    assert av[0].query["symbol"] == "FCO2.DEX"
    assert av[0].query["outputsize"] == "compact"
    assert AV_KEY not in caplog.text


@pytest.mark.parametrize(
    ("failure", "expected", "requests"),
    [
        (Failure.AV_INFORMATION, "daily quota reached", 1),  # not retried
        (Failure.AV_NOTE, "rate limited", 3),  # retried
        (Failure.AV_ERROR, "Invalid API call", 1),
        (Failure.EMPTY, "no bars for FCO2.DE", 1),
        (Failure.RATE_LIMIT, "HTTP 429", 3),
        (Failure.HTML, "HTML page instead of JSON", 3),
        (Failure.TRUNCATED, "truncated or invalid JSON", 3),
    ],
)
async def test_alpha_vantage_failure_payloads(
    md: MarketData, fake: FakeSources, failure: Failure, expected: str, requests: int
) -> None:
    fake.add_av("FCO2.DEX", daily_rows(START, CLOSES))
    fake.fail("yahoo", Failure.NOT_FOUND)
    fake.fail("alphavantage", failure)
    res = await md.update([await md.resolve("FCO2.DE")])
    assert expected in res.failures["FCO2.DE"]
    assert fake.count("alphavantage") == requests


async def test_daily_budget_stops_calls_before_they_are_made(
    fake: FakeSources,
    sqlite_repos,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    fake.fail("yahoo", Failure.NOT_FOUND)
    for sym in ("SPY", "QQQ", "MSFT"):
        fake.add_av(sym, daily_rows(START, CLOSES))
    md = MarketData(make_settings(fake, alphavantage_daily_budget=2), sqlite_repos, clock=clock)
    try:
        res = await md.update([await md.resolve(s) for s in ("SPY", "QQQ", "MSFT")])
    finally:
        await md.close()
    assert fake.count("alphavantage") == 2
    assert len(res.failures) == 1
    assert "daily budget of 2 requests used up" in next(iter(res.failures.values()))


def test_eex_report_parsing_aggregates_days() -> None:
    d1, d2 = date(2026, 1, 6), date(2026, 1, 7)
    content = eex_xlsx(
        [
            Auction(d1, 80.0, 3_000_000),
            Auction(d1, 82.0, 1_000_000, name="Auction PL"),
            Auction(d1, 79.0, 500_000, contract="EAA3"),  # aviation: ignored
            Auction(d2, None, 2_000_000, status="cancelled"),
            Auction(d2, 81.5, 2_000_000),
        ],
        disclaimer_rows=7,
    )
    days = parse_report(content)
    assert days[d1] == (pytest.approx((80 * 3 + 82 * 1) / 4), 4_000_000)
    assert days[d2] == (81.5, 2_000_000)
    assert parse_report(eex_xlsx([Auction(d1, 80.0, 10)], date_as_text=True)) == {d1: (80.0, 10)}


async def test_eua_auction_bars_and_previous_year_fallback(md: MarketData, fake: FakeSources) -> None:
    # 2026-01-05: the 2026 file is not published yet -> 2025's file.
    md.clock.current = md.clock.current.replace(year=2026, month=1, day=5)  # type: ignore[attr-defined]
    fake.add_eex(
        2025, eex_xlsx([Auction(date(2025, 12, 15), 70.0, 100), Auction(date(2025, 12, 16), 72.0, 300)])
    )
    inst = await md.resolve("EUA-AUCTION")
    res = await md.update([inst])
    assert res.failures == {}
    bars = await md.repos.bars.list_bars("EUA-AUCTION")
    assert [(b.ts, b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
        (utc(date(2025, 12, 15)), 70.0, 70.0, 70.0, 70.0, 100),
        (utc(date(2025, 12, 16)), 72.0, 72.0, 72.0, 72.0, 300),
    ]
    paths = sorted(r.path.rsplit("-report-", 1)[1] for r in fake.requests if r.route == "eex")
    assert paths == ["2025-data.xlsx", "2026-data.xlsx"]  # 2026 answered 404: not an error
    # a range inside the unpublished year alone still falls back to the previous year's file
    md.clock.current = md.clock.current.replace(day=20)  # type: ignore[attr-defined]
    assert (await md.update([inst])).failures == {}
    assert "Mozilla" in fake.requests[-1].headers["User-Agent"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (Failure.HTML, "HTML page instead of XLSX"),
        (Failure.TRUNCATED, "not a readable XLSX"),
        (Failure.RATE_LIMIT, "HTTP 429"),
    ],
)
async def test_eex_failures(md: MarketData, fake: FakeSources, failure: Failure, expected: str) -> None:
    fake.add_eex(2026, eex_xlsx([Auction(date(2026, 11, 16), 70.0, 100)]))
    fake.fail("eex", failure)
    res = await md.update([await md.resolve("EUA-AUCTION")])
    assert expected in res.failures["EUA-AUCTION"]
