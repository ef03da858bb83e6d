"""The hot quote cache: cold fetch, stale-while-refresh for watched instruments, indicators."""

from __future__ import annotations

import asyncio
from datetime import date

import numpy as np
import pytest
import talib

from core.errors import SourceError
from market import MarketData
from tests.fakes.fake_sources import Failure, FakeSources
from tests.fakes.source_payloads import daily_rows, krx_row

START = date(2025, 9, 1)


def closes(n: int) -> list[float]:
    return [100 + 10 * float(np.sin(i / 9)) + i * 0.05 for i in range(n)]


async def test_cold_quote_fetched_once_with_indicators_from_stored_bars(
    md: MarketData, fake: FakeSources
) -> None:
    series = closes(300)
    rows = daily_rows(START, series)
    fake.add_yahoo("SPY", rows)
    inst = await md.resolve("SPY")
    await md.fetch_history([inst], years=2)
    stored = [b.adj_close for b in await md.repos.bars.list_bars("SPY")]
    quote, age = await md.quote(inst)
    assert age == 0.0
    assert quote.source == "yahoo"
    assert quote.price == pytest.approx(series[-1])
    assert quote.prev_close == pytest.approx(series[-2])
    assert quote.sma200 == pytest.approx(float(talib.SMA(np.array(stored), 200)[-1]))
    assert quote.rsi14 == pytest.approx(float(talib.RSI(np.array(stored), 14)[-1]))
    assert quote.high_52w is not None
    assert quote.day_high is not None
    before = fake.count("yahoo")
    md.clock.advance(10)  # type: ignore[attr-defined]
    again, age = await md.quote(inst)
    assert again == quote
    assert age == 10.0
    assert fake.count("yahoo") == before  # fresh enough: from the cache


async def test_watched_stale_quote_served_with_age_then_refreshed_in_background(
    md: MarketData, fake: FakeSources
) -> None:
    fake.add_yahoo("SPY", daily_rows(date(2026, 11, 2), closes(15)))
    inst = await md.resolve("SPY")
    assert await md.refresh_quotes([inst]) == 1
    first, _ = await md.quote(inst)
    fake.add_yahoo("SPY", daily_rows(date(2026, 11, 2), [*closes(14), 150.0]))
    fake.latency_s = 0.3  # the source is slow now: the user must not wait on it
    md.clock.advance(md.settings.quote_max_age_s + 1)  # type: ignore[attr-defined]
    stale, age = await md.quote(inst)
    assert stale == first  # had it waited for the source, it would hold the new price
    assert age == md.settings.quote_max_age_s + 1
    for _ in range(100):  # the background refresh lands
        await asyncio.sleep(0.05)
        fresh, age = await md.quote(inst)
        if fresh.price == 150.0:
            break
    assert fresh.price == 150.0
    assert age == 0.0


async def test_unwatched_stale_quote_is_fetched_again(md: MarketData, fake: FakeSources) -> None:
    fake.add_yahoo("SPY", daily_rows(date(2026, 11, 2), closes(15)))
    inst = await md.resolve("SPY")
    await md.quote(inst)
    fake.add_yahoo("SPY", daily_rows(date(2026, 11, 2), [*closes(14), 150.0]))
    md.clock.advance(md.settings.quote_max_age_s + 1)  # type: ignore[attr-defined]
    quote, age = await md.quote(inst)
    assert quote.price == 150.0
    assert age == 0.0


async def test_quote_falls_back_to_stored_bars_then_errors(md: MarketData, fake: FakeSources) -> None:
    inst = await md.resolve("KAU26")
    with pytest.raises(SourceError, match="no price available for KAU26"):
        await md.quote(inst)
    day = date(2026, 11, 20)
    fake.add_krx(day, [krx_row("KAU26", day, 9000, 9500, 8900, 9400, 1000, change=400)])
    quote, _ = await md.quote(inst)
    assert (quote.price, quote.prev_close, quote.source) == (9400, 9000, "krx")
    # a source that fails: the quote is built from stored bars
    fake.add_yahoo("SPY", daily_rows(date(2026, 11, 2), closes(15)))
    spy = await md.resolve("SPY")
    await md.update([spy])
    fake.fail("yahoo", Failure.SERVER_ERROR)
    fake.fail("alphavantage", Failure.AV_INFORMATION)
    quote, age = await md.quote(spy)
    assert quote.source == "stored:yahoo"
    assert quote.price == pytest.approx(closes(15)[-1])
    assert quote.prev_close == pytest.approx(closes(15)[-2])
    assert age == 0.0
