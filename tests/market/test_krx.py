"""KRX Open API adapter against the local fake server."""

from __future__ import annotations

import logging
from datetime import date, datetime

import pytest

from core.types import Interval, Market
from market import MarketData
from market.calendar import is_trading_day
from tests.fakes.fake_sources import KRX_KEY, Failure, FakeSources
from tests.fakes.source_payloads import krx_row, krx_zero_trade, utc
from tests.market.conftest import make_settings

MON, TUE, WED = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)


def seed(fake: FakeSources) -> None:
    fake.add_krx(
        MON, [krx_row("KAU25", MON, 9000, 9100, 8900, 9050, 12345), krx_zero_trade("KAU26", MON, 9100)]
    )
    fake.add_krx(
        TUE, [krx_zero_trade("KAU25", TUE, 9050), krx_row("KAU26", TUE, 9100, 9200, 9000, 9150, 2000)]
    )
    fake.add_krx(
        WED,
        [
            krx_row("KAU25", WED, 9050, 12100, 9000, 12000, 1234567),
            krx_row("KCU25", WED, 8000, 8000, 8000, 8000, 10),
        ],
    )


async def test_daily_bars_zero_trade_rows_and_commas(md: MarketData, fake: FakeSources) -> None:
    seed(fake)
    md.settings.market_initial_days  # noqa: B018 - the first update looks back this far
    res = await md.update([await md.resolve("KAU25")])
    assert not res.failures, res.failures
    kau25 = await md.repos.bars.list_bars("KAU25")
    assert [b.ts for b in kau25][-2:] == [utc(MON), utc(WED)]  # Tuesday had no trade: no candle
    last = kau25[-1]
    assert (last.open, last.high, last.low, last.close, last.volume) == (9050, 12100, 9000, 12000, 1234567)
    assert last.source == "krx"
    assert "outlier" not in last.flags
    kau26 = await md.repos.bars.list_bars("KAU26")
    assert [b.ts for b in kau26] == [utc(TUE)]  # sibling vintage stored from the same payloads
    assert [b.symbol for b in res.new_bars["KCU25"]] == ["KCU25"]
    assert (await md.repos.instruments.get_instrument("KAU26")) is not None
    # AUTH_KEY travels in the header only
    krx_requests = [r for r in fake.requests if r.route == "krx"]
    assert all(r.headers.get("AUTH_KEY") == KRX_KEY for r in krx_requests)
    assert all(KRX_KEY not in str(r.query) for r in krx_requests)


async def test_weekends_and_holidays_never_requested_and_past_days_cached(
    md: MarketData, fake: FakeSources
) -> None:
    seed(fake)
    inst = await md.resolve("KAU25")
    await md.fetch_history([inst], years=1)
    days = {r.query["basDd"] for r in fake.requests if r.route == "krx"}
    assert "20261114" not in days
    assert "20261115" not in days
    assert is_trading_day(Market.KETS, date(2026, 9, 24)) is False  # Chuseok 2026
    assert "20260924" not in days
    assert "20260925" not in days
    assert "20260101" not in days  # New Year
    assert "20260217" not in days  # Seollal 2026
    assert all(is_trading_day(Market.KETS, datetime.strptime(d, "%Y%m%d").date()) for d in days)
    assert "20251121" in days
    assert "20261120" in days
    requested = [r.query["basDd"] for r in fake.requests if r.route == "krx"]
    repeated = {d for d in requested if requested.count(d) > 1}
    assert repeated <= {"20261119", "20261120"}  # only days that had no rows (not cached) twice
    before = fake.count("krx")
    await md.update([await md.resolve("KAU26")])  # same days: served from the day cache / cursor
    assert fake.count("krx") - before <= 1  # sibling cursor: only the last (empty, so uncached) day


async def test_interval_other_than_daily_is_a_failure(md: MarketData) -> None:
    res = await md.update([await md.resolve("KAU25")], interval=Interval.M5)
    assert "no source serves 5m" in res.failures["KAU25"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (Failure.UNAUTHORIZED, "HTTP 401"),
        (Failure.FORBIDDEN, "HTTP 403"),
        (Failure.RATE_LIMIT, "HTTP 429"),
        (Failure.HTML, "HTML page instead of JSON"),
        (Failure.TRUNCATED, "truncated or invalid JSON"),
        (Failure.SERVER_ERROR, "HTTP 500"),
    ],
)
async def test_failures_are_reported_not_raised(
    md: MarketData, fake: FakeSources, failure: Failure, expected: str
) -> None:
    seed(fake)
    fake.fail("krx", failure)
    res = await md.update([await md.resolve("KAU25")])
    assert expected in res.failures["KAU25"]
    assert await md.repos.bars.last_bar("KAU25") is None
    assert next(h for h in md.health() if h.source == "krx").failures >= 1


async def test_transient_failure_is_retried(md: MarketData, fake: FakeSources) -> None:
    seed(fake)
    fake.fail("krx", Failure.RATE_LIMIT, times=2, match="basDd=20261118")
    res = await md.update([await md.resolve("KAU25")])
    assert not res.failures
    assert sum(1 for r in fake.requests if r.query.get("basDd") == "20261118") == 3


async def test_empty_day_is_no_data_and_wrong_key_is_401(
    fake: FakeSources,
    sqlite_repos,
    clock,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    seed(fake)
    fake.fail("krx", Failure.EMPTY)
    md = MarketData(make_settings(fake), sqlite_repos, clock=clock)
    res = await md.update([await md.resolve("KAU25")])
    assert "no bars" in res.failures["KAU25"]
    await md.close()
    fake.clear_failures()
    caplog.set_level(logging.DEBUG)
    md = MarketData(make_settings(fake, krx_auth_key="wrong-secret-key"), sqlite_repos, clock=clock)
    res = await md.update([await md.resolve("KAU25")])
    assert "HTTP 401" in res.failures["KAU25"]
    assert "wrong-secret-key" not in caplog.text
    assert "wrong-secret-key" not in str(res.failures)
    await md.close()
    md = MarketData(make_settings(fake, krx_auth_key=""), sqlite_repos, clock=clock)
    res = await md.update([await md.resolve("KAU25")])
    assert "FINSIGNAL_KRX_AUTH_KEY is not set" in res.failures["KAU25"]
    await md.close()
