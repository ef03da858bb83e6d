"""Fallback chain and circuit breaker end to end, and batches that never fail as a whole."""

from __future__ import annotations

from datetime import date

from market import MarketData
from tests.fakes.fake_sources import Failure, FakeSources
from tests.fakes.source_payloads import daily_rows

START = date(2026, 11, 2)
CLOSES = [70.0 + i for i in range(15)]


def breaker(md: MarketData, source: str) -> str:
    return next(h.breaker for h in md.health() if h.source == source)


async def test_primary_fails_fallback_serves_breaker_opens_then_primary_recovers(
    md: MarketData, fake: FakeSources
) -> None:
    symbols = ["SPY", "QQQ", "AAPL", "MSFT"]
    for sym in symbols:
        fake.add_yahoo(sym, daily_rows(START, CLOSES))
        fake.add_av(sym, daily_rows(START, CLOSES))
    fake.fail("yahoo", Failure.SERVER_ERROR)
    instruments = [await md.resolve(s) for s in symbols]
    res = await md.update(instruments)
    assert res.failures == {}
    assert set(res.sources.values()) == {"alphavantage"}
    assert breaker(md, "yahoo") == "open"  # 3 failures (settings.breaker_failures) opened it
    calls = fake.count("yahoo")
    assert calls <= 3 * 3 + 3  # once open, no more calls (3 attempts per call; a few were in flight)

    # while open, yahoo is skipped entirely
    fake.add_yahoo("NVDA", daily_rows(START, CLOSES))
    fake.add_av("NVDA", daily_rows(START, CLOSES))
    res = await md.update([await md.resolve("NVDA")])
    assert res.sources == {"NVDA": "alphavantage"}
    assert fake.count("yahoo") == calls

    # the primary recovers; after breaker_reset_s one probe goes through and closes the breaker
    fake.clear_failures()
    md.clock.advance(61)  # type: ignore[attr-defined]
    assert breaker(md, "yahoo") == "half_open"
    fake.add_yahoo("TSLA", daily_rows(START, CLOSES))
    res = await md.update([await md.resolve("TSLA")])
    assert res.sources == {"TSLA": "yahoo"}
    assert breaker(md, "yahoo") == "closed"
    stored = await md.repos.health.list_source_health()
    assert {h.source: h.breaker for h in stored}["yahoo"] == "closed"  # persisted for `status`


async def test_half_open_probe_failure_reopens(md: MarketData, fake: FakeSources) -> None:
    fake.add_yahoo("SPY", daily_rows(START, CLOSES))
    fake.fail("yahoo", Failure.UNAUTHORIZED)
    for _ in range(3):
        await md.update([await md.resolve("SPY")])
    assert breaker(md, "yahoo") == "open"
    md.clock.advance(61)  # type: ignore[attr-defined]
    before = fake.count("yahoo")
    res = await md.update([await md.resolve("SPY")])
    assert fake.count("yahoo") == before + 1  # exactly one probe
    assert "HTTP 401" in res.failures["SPY"]
    assert breaker(md, "yahoo") == "open"
    res = await md.update([await md.resolve("SPY")])
    assert "circuit open" in res.failures["SPY"]


async def test_one_failing_instrument_never_fails_the_batch(md: MarketData, fake: FakeSources) -> None:
    for sym in ("SPY", "QQQ"):
        fake.add_yahoo(sym, daily_rows(START, CLOSES))
    fake.fail("yahoo", Failure.TRUNCATED, match="QQQ")
    res = await md.update([await md.resolve(s) for s in ("SPY", "QQQ", "ZZZZ")])
    assert list(res.new_bars) == ["SPY"]
    assert set(res.failures) == {"QQQ", "ZZZZ"}
    assert "truncated" in res.failures["QQQ"]


async def test_bad_rows_rejected_and_counted(md: MarketData, fake: FakeSources) -> None:
    from tests.fakes.source_payloads import Row

    rows = daily_rows(START, CLOSES)
    rows[2] = Row(rows[2].day, 72, 71.5, 72.5, 72, 100)  # high < low: widened, kept, flagged
    rows[4] = Row(rows[4].day, 10, 11, 9, 0, 5)  # a zero close: rejected
    rows[6] = Row(rows[6].day, 200, 201, 199, 200, 100)  # outlier: kept, flagged
    fake.add_yahoo("SPY", rows)
    res = await md.update([await md.resolve("SPY")])
    assert res.rejected == 1
    bars = await md.repos.bars.list_bars("SPY")
    assert len(bars) == 14
    assert [b.flags for b in bars if b.flags] == ["ohlc_repaired", "outlier"]  # the jump, not the return
    assert (bars[2].high, bars[2].low) == (72.0, 72.0)  # widened to bound open and close
