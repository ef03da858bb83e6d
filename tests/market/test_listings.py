"""The KRX listing against a local stand-in serving the documented CSV (SOURCES.md section 9): new
listings, delistings, halts from KIS, and the failures (404 days, 5xx, HTML, malformed, shrunk files)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date

import pytest

from core.errors import DataError, SourceError, SymbolError
from core.ports import Repositories
from core.types import ListingStatus, Market
from market import MarketData
from market.resolver import make_instrument
from tests.fakes.fake_kis import FakeKis
from tests.fakes.fake_krx_data import FakeKrxData
from tests.fakes.fake_sources import FakeSources
from tests.market.conftest import FakeClock, make_settings

SATURDAY = date(2026, 11, 21)  # the clock's KST day
FRIDAY, THURSDAY = date(2026, 11, 20), date(2026, 11, 19)
BASE = [(f"{k:06d}", f"종목{k}", "KOSPI" if k % 2 else "KOSDAQ") for k in range(1, 21)]
SAMSUNG = ("005930", "삼성전자", "KOSPI")


@pytest.fixture
def krx() -> Iterator[FakeKrxData]:
    with FakeKrxData() as server:
        yield server


@pytest.fixture
def kis(clock: FakeClock) -> Iterator[FakeKis]:
    with FakeKis(rate_per_s=1000, token_gap_s=0.3, now=clock.now) as server:
        yield server


@pytest.fixture
async def lmd(
    fake: FakeSources, krx: FakeKrxData, kis: FakeKis, sqlite_repos: Repositories, clock: FakeClock
) -> AsyncIterator[MarketData]:
    settings = make_settings(
        fake, krx_listing_base_url=krx.url, kis_rate_per_s=200.0, kis_token_min_gap_s=0.4,
        **kis.settings_overrides(),
    )  # fmt: skip
    service = MarketData(settings, sqlite_repos, clock=clock)
    yield service
    await service.close()


async def test_first_refresh_records_then_new_and_delisted_are_found(
    lmd: MarketData, krx: FakeKrxData, sqlite_repos: Repositories, clock: FakeClock
) -> None:
    krx.set_listing(THURSDAY, [*BASE, SAMSUNG])
    first = await lmd.listings.refresh()
    assert (first.day, first.total, first.new, first.delisted) == (THURSDAY, 21, [], [])
    assert krx.calls["2026-11-21.csv"] == krx.calls["2026-11-20.csv"] == 1  # 404s: looked further back
    # Friday: 000003 delisted, a new KOSDAQ listing with an alphanumeric code
    krx.set_listing(FRIDAY, [*(r for r in BASE if r[0] != "000003"), SAMSUNG, ("0088M0", "새상장", "KOSDAQ")])
    changes = await lmd.listings.refresh()
    assert changes.day == FRIDAY
    assert [(x.code, x.name, x.market, x.status) for x in changes.new] == [
        ("0088M0", "새상장", "KOSDAQ", ListingStatus.LISTED)
    ]
    assert [(x.code, x.status, x.since) for x in changes.delisted] == [
        ("000003", ListingStatus.DELISTED, FRIDAY)
    ]
    stored = await sqlite_repos.listings.get_listing("000003")
    assert stored is not None
    assert stored.status is ListingStatus.DELISTED
    again = await lmd.listings.refresh()  # the same file: nothing new, nobody told twice
    assert (again.new, again.delisted) == ([], [])


async def test_broken_files_change_nothing(
    lmd: MarketData, krx: FakeKrxData, sqlite_repos: Repositories
) -> None:
    krx.set_listing(SATURDAY, [*BASE, SAMSUNG])
    await lmd.listings.refresh()
    krx.fail("5xx")
    krx.fail("html")
    changes = await lmd.listings.refresh()  # retried by the guard past a 503 and a maintenance page
    assert changes.total == 21
    krx.set_listing(SATURDAY, BASE[:5])  # a cut-off file must not delist 16 stocks
    with pytest.raises(DataError, match="broken file"):
        await lmd.listings.refresh()
    assert await sqlite_repos.listings.list_listings(status=ListingStatus.DELISTED) == []
    krx.listings[SATURDAY] = b"Code,Name,Market\n,,\n"  # no usable row
    with pytest.raises(SourceError, match="no usable row"):
        await lmd.listings.refresh()
    krx.listings[SATURDAY] = b"Symbol,Title\n005930,x\n"  # not the documented columns
    with pytest.raises(SourceError, match="lacks the columns Code, Name, Market"):
        await lmd.listings.refresh()
    assert len(await sqlite_repos.listings.list_listings(status=ListingStatus.LISTED)) == 21


async def test_halts_come_from_kis_for_the_watched_stocks(
    lmd: MarketData, krx: FakeKrxData, kis: FakeKis, sqlite_repos: Repositories
) -> None:
    krx.set_listing(SATURDAY, [*BASE, SAMSUNG])
    samsung = make_instrument("005930.KS", Market.KRX)
    other = make_instrument("000001.KS", Market.KRX)
    kis.halted.add("005930")
    changes = await lmd.listings.refresh([samsung, other])
    assert [x.code for x in changes.halted] == ["005930"]
    assert await lmd.listings.halted_codes() == {"005930"}
    kis.halted.clear()
    changes = await lmd.listings.refresh([samsung, other])
    assert [(x.code, x.status) for x in changes.resumed] == [("005930", ListingStatus.LISTED)]
    assert await lmd.listings.halted_codes() == set()


async def test_new_listings_resolve_by_code_and_korean_or_english_name(
    lmd: MarketData, krx: FakeKrxData
) -> None:
    krx.set_listing(THURSDAY, [*BASE, SAMSUNG])
    await lmd.listings.refresh()
    with pytest.raises(SymbolError):
        await lmd.resolve("새상장")
    krx.set_listing(FRIDAY, [*BASE, SAMSUNG, ("0088M0", "새상장", "KOSDAQ"), ("123450", "신규전자", "KOSPI")])
    await lmd.listings.refresh()
    by_code = await lmd.resolve("0088m0")
    assert (by_code.symbol, by_code.name, by_code.market) == ("0088M0.KQ", "새상장", Market.KRX)
    assert (await lmd.resolve("새상장")).symbol == "0088M0.KQ"
    assert (await lmd.resolve("123450")).symbol == "123450.KS"
    assert (await lmd.resolve("신규전자")).symbol == "123450.KS"
    assert (await lmd.resolve("samsung electronics")).symbol == "005930.KS"  # English name, any case
    krx.set_listing(SATURDAY, [*BASE, SAMSUNG, ("123450", "신규전자", "KOSPI")])
    await lmd.listings.refresh()
    with pytest.raises(SymbolError):
        await lmd.resolve("새상장")  # delisted: no longer offered by name
