"""Symbol resolution (issue 3.1)."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import SymbolError
from core.types import Market
from market import MarketData
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import krx_row, krx_zero_trade


@pytest.mark.parametrize(
    ("text", "symbol", "market", "currency", "tz", "sources"),
    [
        ("KAU25", "KAU25", Market.KETS, "KRW", "Asia/Seoul", ("krx",)),
        ("kau25", "KAU25", Market.KETS, "KRW", "Asia/Seoul", ("krx",)),
        ("  fco2.de ", "FCO2.DE", Market.XETRA, "EUR", "Europe/Berlin", ("yahoo", "alphavantage")),
        ("AAPL", "AAPL", Market.US, "USD", "America/New_York", ("yahoo", "alphavantage")),
        ("spy", "SPY", Market.US, "USD", "America/New_York", ("yahoo", "alphavantage")),
        ("BRK.B", "BRK.B", Market.US, "USD", "America/New_York", ("yahoo", "alphavantage")),
        ("005930", "005930.KS", Market.KRX, "KRW", "Asia/Seoul", ("yahoo",)),
        ("005930.ks", "005930.KS", Market.KRX, "KRW", "Asia/Seoul", ("yahoo",)),
        ("247540", "247540.KQ", Market.KRX, "KRW", "Asia/Seoul", ("yahoo",)),
        ("삼성전자", "005930.KS", Market.KRX, "KRW", "Asia/Seoul", ("yahoo",)),
        ("eua-auction", "EUA-AUCTION", Market.EEX, "EUR", "Europe/Berlin", ("eex",)),
        ("KOC", "KOC", Market.KETS, "KRW", "Asia/Seoul", ("krx",)),
    ],
)
async def test_resolves_to_canonical_instrument(
    md: MarketData, text: str, symbol: str, market: Market, currency: str, tz: str, sources: tuple[str, ...]
) -> None:
    inst = await md.resolve(text)
    assert (inst.symbol, inst.market, inst.currency, inst.timezone, inst.sources) == (
        symbol,
        market,
        currency,
        tz,
        sources,
    )


async def test_fco2_has_alpha_vantage_ticker(md: MarketData) -> None:
    inst = await md.resolve("FCO2.DE")
    assert inst.source_symbols == {"alphavantage": "FCO2.DEX"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("A" * 21, "too long"),
        ("'; DROP TABLE x;--", "malformed"),
        ("'; DROP TABLE bars; --", "too long"),
        ("AAPL<script>", "malformed"),
        ("KAU25\n/start", "malformed"),
        ("$(rm -rf)", "malformed"),
    ],
)
async def test_malformed_input_is_a_symbol_error(md: MarketData, text: str, reason: str) -> None:
    with pytest.raises(SymbolError, match=reason):
        await md.resolve(text)


async def test_unknown_symbol_has_suggestions(md: MarketData) -> None:
    with pytest.raises(SymbolError) as info:
        await md.resolve("EUA-AUCTON")
    assert info.value.suggestions == ("EUA-AUCTION",)
    assert "Did you mean: EUA-AUCTION" in str(info.value)
    with pytest.raises(SymbolError) as info:
        await md.resolve("KAU2")
    assert "KAU" in info.value.suggestions


async def test_bare_kau_is_the_vintage_with_most_volume_on_latest_day(
    md: MarketData, fake: FakeSources
) -> None:
    # Without stored data: the current year's vintage.
    assert (await md.resolve("KAU")).symbol == "KAU26"
    d1, d2 = date(2026, 11, 19), date(2026, 11, 20)
    fake.add_krx(
        d1,
        [
            krx_row("KAU25", d1, 9000, 9100, 8900, 9050, 90000),
            krx_row("KAU26", d1, 9100, 9200, 9000, 9150, 10),
        ],
    )
    fake.add_krx(
        d2,
        [
            krx_row("KAU25", d2, 9050, 9100, 9000, 9060, 500),
            krx_row("KAU26", d2, 9150, 9300, 9100, 9250, 80000),
            krx_row("KAU27", d2, 9300, 9300, 9300, 9300, 700),
            krx_zero_trade("KAU28", d2, 9400),
        ],
    )
    res = await md.update([await md.resolve("KAU25")])
    assert not res.failures
    assert sorted(res.new_bars) == ["KAU25", "KAU26", "KAU27"]  # every vintage stored, KAU28 never traded
    front = await md.resolve("kau")
    assert front.symbol == "KAU26"
    assert front.market == Market.KETS
    # the next day KAU27 takes over without any code change
    d3 = date(2026, 11, 23)
    fake.add_krx(
        d3,
        [
            krx_row("KAU26", d3, 9200, 9200, 9200, 9200, 5),
            krx_row("KAU27", d3, 9300, 9400, 9300, 9350, 99999),
        ],
    )
    md.clock.advance(3 * 86400)  # type: ignore[attr-defined]
    await md.update([front])
    assert (await md.resolve("KAU")).symbol == "KAU27"
