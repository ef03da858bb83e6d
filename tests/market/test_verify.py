"""Unknown tickers are caught at the source once (issue 3.1): `resolve(text, verify=True)`."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import SymbolError
from core.ports import Repositories
from core.types import Market
from market import MarketData
from market.resolver import make_instrument
from tests.fakes.fake_sources import Failure, FakeSources
from tests.fakes.source_payloads import daily_rows


async def test_unknown_ticker_is_a_symbol_error_with_suggestions(
    md: MarketData, fake: FakeSources, sqlite_repos: Repositories
) -> None:
    with pytest.raises(SymbolError) as info:
        await md.resolve("APPL", verify=True)
    assert info.value.symbol == "APPL"
    assert info.value.suggestions[0] == "AAPL"
    assert "unknown symbol: 'APPL'. Did you mean: AAPL" in str(info.value)
    assert fake.count("yahoo") == 1  # asked once, no retries of a definitive answer
    assert fake.count("alphavantage") == 0  # the fallback's daily budget is not spent on it
    assert await sqlite_repos.instruments.get_instrument("APPL") is None
    assert md.health()[0].breaker == "closed"  # 'not found' is not a source failure


async def test_without_verify_resolution_stays_offline(md: MarketData, fake: FakeSources) -> None:
    assert (await md.resolve("APPL")).symbol == "APPL"
    assert fake.count("yahoo") == 0


async def test_suggestions_include_instruments_stored_in_the_database(
    md: MarketData, sqlite_repos: Repositories
) -> None:
    await sqlite_repos.instruments.upsert_instruments([make_instrument("SHOP", Market.US, "Shopify")])
    with pytest.raises(SymbolError) as info:
        await md.resolve("SHOPP", verify=True)
    assert "SHOP" in info.value.suggestions
    await sqlite_repos.instruments.upsert_instruments([make_instrument("ABCDEF.DE", Market.XETRA)])
    with pytest.raises(SymbolError) as info:  # not even a valid pattern: offline, stored ones suggested
        await md.resolve("ABCDEF.DX")
    assert info.value.suggestions == ("ABCDEF.DE",)


async def test_verified_symbol_is_registered_and_next_resolve_is_offline(
    md: MarketData, fake: FakeSources, sqlite_repos: Repositories
) -> None:
    fake.add_yahoo("IBM", daily_rows(date(2026, 11, 10), [150.0, 151.0, 152.0, 153.0, 154.0]))
    inst = await md.resolve("ibm", verify=True)
    assert (inst.symbol, inst.market) == ("IBM", Market.US)
    assert fake.count("yahoo") == 1
    stored = await sqlite_repos.instruments.get_instrument("IBM")
    assert stored is not None
    assert stored.sources == ("yahoo", "alphavantage")
    assert (await md.resolve("IBM", verify=True)).symbol == "IBM"
    assert fake.count("yahoo") == 1


@pytest.mark.parametrize("text", ["AAPL", "FCO2.DE", "005930", "KAU25", "EUA-AUCTION"])
async def test_known_symbols_make_no_request(md: MarketData, fake: FakeSources, text: str) -> None:
    await md.resolve(text, verify=True)
    assert fake.requests == []


@pytest.mark.parametrize(
    "failure", [Failure.SERVER_ERROR, Failure.RATE_LIMIT, Failure.HTML, Failure.TRUNCATED]
)
async def test_source_outage_accepts_the_symbol_without_registering_it(
    md: MarketData, fake: FakeSources, sqlite_repos: Repositories, failure: Failure
) -> None:
    fake.fail("yahoo", failure)
    inst = await md.resolve("APPL", verify=True)
    assert inst.symbol == "APPL"
    assert fake.count("yahoo") >= 1
    assert await sqlite_repos.instruments.get_instrument("APPL") is None  # asked again next time
    fake.clear_failures()
    with pytest.raises(SymbolError):
        await md.resolve("APPL", verify=True)


async def test_open_breaker_accepts_without_a_request(md: MarketData, fake: FakeSources) -> None:
    fake.fail("yahoo", Failure.SERVER_ERROR)
    for _ in range(3):
        await md.resolve("APPL", verify=True)
    assert md.health()[0].breaker == "open"
    before = fake.count("yahoo")
    assert (await md.resolve("APPL", verify=True)).symbol == "APPL"
    assert fake.count("yahoo") == before


async def test_bare_code_unknown_on_kospi_is_tried_on_kosdaq(md: MarketData, fake: FakeSources) -> None:
    fake.add_yahoo(
        "123456.KQ", daily_rows(date(2026, 11, 10), [5000.0, 5100.0]), tz="Asia/Seoul", currency="KRW"
    )
    assert (await md.resolve("123456", verify=True)).symbol == "123456.KQ"
    with pytest.raises(SymbolError) as info:
        await md.resolve("654321", verify=True)
    assert info.value.symbol == "654321"
