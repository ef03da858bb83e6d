"""An outlier from the primary source is repaired from the next source of the route (issue 27)."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from market import MarketData
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import Row, daily_rows

START = date(2026, 11, 2)
CLOSES = [70.0 + i for i in range(15)]


async def test_an_outlier_is_replaced_by_the_second_sources_bar(
    md: MarketData, fake: FakeSources, caplog: pytest.LogCaptureFixture
) -> None:
    rows = daily_rows(START, CLOSES)
    good = rows[6]
    rows[6] = Row(good.day, 200, 201, 199, 200, 100)  # Yahoo's bad day: held out by the rule
    fake.add_yahoo("SPY", rows)
    fake.add_av("SPY", daily_rows(START, CLOSES))  # Alpha Vantage has the day right
    with caplog.at_level(logging.WARNING, logger="market.pipeline"):
        res = await md.update([await md.resolve("SPY")])
    assert res.failures == {}
    bars = await md.repos.bars.list_bars("SPY")
    assert len(bars) == 15
    fixed = bars[6]
    assert fixed.close == pytest.approx(good.close)
    assert fixed.source == "alphavantage"
    assert "second_source" in fixed.flags.split(",")
    assert "outlier" not in fixed.flags.split(",")
    assert "1 outlier bar(s) replaced from alphavantage" in caplog.text


async def test_without_a_second_opinion_the_outlier_stays_held_out(md: MarketData, fake: FakeSources) -> None:
    rows = daily_rows(START, CLOSES)
    rows[6] = Row(rows[6].day, 200, 201, 199, 200, 100)
    fake.add_yahoo("SPY", rows)
    fake.add_av(
        "SPY", [*daily_rows(START, CLOSES)[:6], rows[6], *daily_rows(START, CLOSES)[7:]]
    )  # same error
    await md.update([await md.resolve("SPY")])
    bars = await md.repos.bars.list_bars("SPY")
    assert [b.flags for b in bars if b.flags] == ["outlier"]
    assert bars[6].source == "yahoo"
