"""Each source's real HTTP adapter against the stand-in server: payload shapes and failures."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from core.errors import PermanentSourceError, RateLimitedError, TransientSourceError
from core.timeutil import SystemClock
from fundflow.catalogue import Market, SeriesSpec
from fundflow.collect import build_sources
from fundflow.sources.fred import MissingKeyError
from market.errors import NoDataError
from tests.fundflow.fake_flows import FRED_KEY, FakeFlows, ecb_per_eur, value, volume

JAN, JUN = date(2020, 1, 1), date(2020, 6, 1)


def spec(
    source: str, symbol: str, market: Market = Market.STOCKS, unit: str = "USD", fallback: str = ""
) -> SeriesSpec:
    return SeriesSpec(market, symbol, source, symbol, unit, fallback)


async def fetch(settings: Any, s: SeriesSpec, first: date = JAN, last: date = JUN) -> list[Any]:
    async with httpx.AsyncClient() as client:
        return await build_sources(settings, client, SystemClock())[s.source].monthly(s, first, last)


async def test_yahoo_monthly_close_volume_and_dollar_volume(make_settings: Any, fake: FakeFlows) -> None:
    points = await fetch(make_settings(), spec("yahoo", "SPY"))
    assert [p.month for p in points] == [date(2020, m, 1) for m in range(1, 7)]
    assert points[2].value == value("SPY", date(2020, 3, 1))
    assert points[2].volume == int(volume("SPY", date(2020, 3, 1)))
    assert points[2].dollar_volume == pytest.approx(points[2].value * points[2].volume)
    assert fake.requests[0].query["interval"] == "1mo"


async def test_yahoo_429_with_retry_after_then_success(make_settings: Any, fake: FakeFlows) -> None:
    fake.fail("yahoo", "429", times=2)
    points = await fetch(make_settings(), spec("yahoo", "SPY"))
    assert len(points) == 6
    assert fake.count("yahoo") == 3


async def test_yahoo_5xx_past_retries_is_transient(make_settings: Any, fake: FakeFlows) -> None:
    fake.fail("yahoo", "500", times=5)
    with pytest.raises(TransientSourceError):
        await fetch(make_settings(market_retry_attempts=3), spec("yahoo", "SPY"))
    assert fake.count("yahoo") == 3


async def test_rate_limit_past_retries_is_rate_limited(make_settings: Any, fake: FakeFlows) -> None:
    fake.fail("binance", "429", times=5)
    with pytest.raises(RateLimitedError):
        await fetch(make_settings(market_retry_attempts=2), spec("binance", "BTCUSDT", Market.CRYPTO))


async def test_yahoo_not_found_and_malformed(make_settings: Any, fake: FakeFlows) -> None:
    with pytest.raises(NoDataError):
        await fetch(make_settings(), spec("yahoo", "NOPE"))
    fake.fail("yahoo", "garbage")
    with pytest.raises(PermanentSourceError, match="malformed"):
        await fetch(make_settings(), spec("yahoo", "SPY"))


async def test_fred_monthly_skips_missing_dot(make_settings: Any, fake: FakeFlows) -> None:
    s = spec("fred", "GS10", Market.BONDS, "percent")
    points = await fetch(make_settings(), s, JAN, date(2020, 12, 1))
    months = [p.month for p in points]
    assert date(2020, 7, 1) not in months
    assert len(months) == 11
    assert points[0].value == pytest.approx(value("GS10", JAN) / 20, abs=1e-4)
    assert points[0].dollar_volume is None
    query = fake.requests[0].query
    assert (query["frequency"], query["file_type"], query["api_key"]) == ("m", "json", FRED_KEY)


async def test_fred_missing_key_makes_no_request(make_settings: Any, fake: FakeFlows) -> None:
    with pytest.raises(MissingKeyError, match="FINSIGNAL_FRED_KEY"):
        await fetch(make_settings(fred_key=None), spec("fred", "GS10", Market.BONDS, "percent"))
    assert fake.count("fred") == 0


async def test_fred_bad_key_is_permanent_and_the_key_is_not_in_the_message(make_settings: Any) -> None:
    with pytest.raises(PermanentSourceError) as info:
        await fetch(make_settings(fred_key="x" * 32), spec("fred", "GS10", Market.BONDS, "percent"))
    assert "x" * 32 not in str(info.value)
    assert "400" in str(info.value)


async def test_ecb_usd_based_rate_from_per_eur_rates(make_settings: Any, fake: FakeFlows) -> None:
    points = await fetch(make_settings(), spec("ecb", "KRW", Market.FX, "rate", "KRW=X"))
    m = date(2020, 2, 1)
    assert points[1].value == pytest.approx(ecb_per_eur("KRW", m) / ecb_per_eur("USD", m))
    assert fake.requests[0].path.endswith("/EXR/M.USD+KRW.EUR.SP00.A")
    assert fake.count("yahoo") == 0
    eur = await fetch(make_settings(), spec("ecb", "USD", Market.FX, "rate"))
    assert eur[1].value == pytest.approx(ecb_per_eur("USD", m))


async def test_ecb_down_falls_back_to_yahoo(make_settings: Any, fake: FakeFlows) -> None:
    fake.fail("ecb", "500", times=3)
    points = await fetch(make_settings(), spec("ecb", "KRW", Market.FX, "rate", "KRW=X"))
    assert points[0].value == value("KRW=X", JAN)
    assert fake.count("yahoo", "KRW=X") == 1


async def test_ecb_malformed_without_fallback_is_permanent(make_settings: Any, fake: FakeFlows) -> None:
    fake.fail("ecb", "garbage")
    with pytest.raises(PermanentSourceError, match="malformed"):
        await fetch(make_settings(), spec("ecb", "JPY", Market.FX, "rate"))


async def test_binance_klines_quote_volume_and_unfinished_month_dropped(
    make_settings: Any, fake: FakeFlows
) -> None:
    this = date(fake.now.year, fake.now.month, 1)
    points = await fetch(make_settings(), spec("binance", "BTCUSDT", Market.CRYPTO), date(2019, 1, 1), this)
    assert points[-1].month < this  # the current, unfinished month is not stored
    m = points[0].month
    assert points[0].dollar_volume == pytest.approx(value("BTCUSDT", m) * volume("BTCUSDT", m))
    assert fake.requests[0].query["interval"] == "1M"


async def test_binance_invalid_symbol(make_settings: Any) -> None:
    with pytest.raises(PermanentSourceError, match="-1121"):
        await fetch(make_settings(), spec("binance", "NOPEUSDT", Market.CRYPTO))


async def test_oilprice_token_header_paging_and_missing_key(make_settings: Any, fake: FakeFlows) -> None:
    this = date(fake.now.year, fake.now.month, 1)
    s = spec("oilprice", "WTI_USD", Market.COMMODITIES)
    points = await fetch(make_settings(), s, date(2000, 1, 1), this)
    assert len(points) == 12
    assert fake.count("oilprice") == 2
    assert fake.requests[0].headers["authorization"] == "Token opa_live_test"
    with pytest.raises(MissingKeyError):
        await fetch(make_settings(oilprice_key=None), s)
    assert fake.count("oilprice") == 2
    with pytest.raises(PermanentSourceError, match="401"):
        await fetch(make_settings(oilprice_key="opa_live_wrong"), s)
