"""The KIS source against a local stand-in that plays KIS's documented answers and failures: token
issuance and its limit, expired tokens, the per-second limit, paging, malformed and 5xx answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.errors import SourceError, SymbolError
from core.ports import Repositories
from core.settings import Settings
from core.types import Interval, Market
from market import MarketData
from market.resolver import make_instrument
from market.sources.kis import KisSource
from tests.fakes.fake_kis import APP_SECRET, KST, FakeKis, minute_rows
from tests.fakes.fake_sources import FakeSources
from tests.market.conftest import FakeClock, make_settings

FRIDAY = date(2026, 11, 20)
SAMSUNG = make_instrument("005930.KS", Market.KRX)
HYNIX = make_instrument("000660.KS", Market.KRX)


@pytest.fixture
def kis(clock: FakeClock) -> Iterator[FakeKis]:
    with FakeKis(rate_per_s=1000, token_gap_s=0.3, now=clock.now) as server:
        yield server


def kis_settings(fake: FakeSources, kis: FakeKis, **extra: Any) -> Settings:
    values = {"kis_rate_per_s": 200.0, "kis_token_min_gap_s": 0.4, **extra}
    return make_settings(fake, **kis.settings_overrides(**values))


@pytest.fixture
async def kmd(
    fake: FakeSources, kis: FakeKis, sqlite_repos: Repositories, clock: FakeClock
) -> AsyncIterator[MarketData]:
    service = MarketData(kis_settings(fake, kis), sqlite_repos, clock=clock)
    yield service
    await service.close()


def source(md: MarketData) -> KisSource:
    src = md.sources["kis"]
    assert isinstance(src, KisSource)
    return src


async def test_a_past_session_comes_whole_in_pages_of_120_oldest_first(kmd: MarketData, kis: FakeKis) -> None:
    bars = await source(kmd).minute_bars(SAMSUNG, FRIDAY)
    expected = minute_rows("005930", FRIDAY)[::-1]
    assert len(bars) == len(expected) == 381
    assert kis.calls["FHKST03010230"] == 4  # 120 + 120 + 120 + 21 (first rows of each page overlap)
    assert bars[0].ts == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 09:00 KST
    assert bars[-1].ts == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)  # the 15:30 closing auction
    assert [b.close for b in bars] == [float(r["stck_prpr"]) for r in expected]
    assert [b.volume for b in bars] == [float(r["cntg_vol"]) for r in expected]


async def test_today_returns_only_the_minutes_that_have_closed(
    kmd: MarketData, kis: FakeKis, clock: FakeClock
) -> None:
    clock.current = datetime(2026, 11, 23, 10, 0, 30, tzinfo=KST).astimezone(UTC)  # Monday, 10:00:30 KST
    bars = await source(kmd).minute_bars(SAMSUNG, date(2026, 11, 23))
    assert len(bars) == 60  # 09:00 .. 09:59; the 10:00 minute is still forming
    assert bars[-1].ts.astimezone(KST).strftime("%H:%M") == "09:59"
    assert kis.calls["FHKST03010200"] == 3  # 30 rows a call today
    assert kis.calls["FHKST03010230"] == 0


async def test_five_and_fifteen_minute_bars_follow_the_session(kmd: MarketData, kis: FakeKis) -> None:
    await kmd.fetch_history([SAMSUNG], interval=Interval.M5, days=1)
    five = await kmd.repos.bars.list_bars("005930.KS", Interval.M5)
    minutes = await kmd.repos.bars.list_bars("005930.KS", Interval.M1)
    assert len(minutes) == 381
    assert len(five) == 77  # 09:00 .. 15:15, then the closing auction on its own
    labels = [b.ts.astimezone(KST).strftime("%H:%M") for b in five]
    assert labels[0] == "09:00"
    assert labels[-2] == "15:15"
    assert labels[-1] == "15:30"
    first = minutes[:5]
    assert five[0].open == first[0].open
    assert five[0].close == first[-1].close
    assert five[0].high == max(b.high for b in first)
    assert five[0].volume == sum(b.volume for b in first)


async def test_one_token_for_many_requests_and_kept_across_a_restart(
    fake: FakeSources,
    kis: FakeKis,
    sqlite_repos: Repositories,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    first = MarketData(kis_settings(fake, kis), sqlite_repos, clock=clock)
    quotes = await asyncio.gather(*(source(first).fetch_quote(SAMSUNG) for _ in range(20)))
    await first.close()
    assert all(q is not None and q.price > 0 for q in quotes)
    assert kis.issued == 1
    again = MarketData(kis_settings(fake, kis), sqlite_repos, clock=clock)  # a restarted process
    assert await source(again).fetch_quote(HYNIX) is not None
    await again.close()
    assert kis.issued == 1
    token = next(iter(kis.tokens))
    assert token not in caplog.text
    assert APP_SECRET not in caplog.text


async def test_an_expired_token_is_reissued_once_for_all_waiting_requests(
    kmd: MarketData, kis: FakeKis
) -> None:
    await source(kmd).fetch_quote(SAMSUNG)
    await asyncio.sleep(0.5)  # past KIS's issuance gap
    kis.expire_tokens()
    quotes = await asyncio.gather(*(source(kmd).fetch_quote(SAMSUNG) for _ in range(10)))
    assert all(q is not None for q in quotes)
    assert kis.issued == 2


async def test_a_refused_issuance_waits_instead_of_hammering(
    fake: FakeSources, kis: FakeKis, sqlite_repos: Repositories, clock: FakeClock, tmp_path: Any
) -> None:
    from storage import Database

    kis.token_gap_s = 2.0
    # another machine with its own database: it cannot see the stored token and is refused at first
    other = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    a = MarketData(kis_settings(fake, kis), sqlite_repos, clock=clock)
    b = MarketData(kis_settings(fake, kis, kis_token_min_gap_s=2.1), other.repos, clock=clock)
    await source(a).fetch_quote(SAMSUNG)
    assert await source(b).fetch_quote(SAMSUNG) is not None
    await a.close()
    await b.close()
    await other.close()
    assert kis.refused_tokens == 1
    assert kis.issued == 2


async def test_the_rate_limit_keeps_every_request_under_kis_limit(
    fake: FakeSources, kis: FakeKis, sqlite_repos: Repositories, clock: FakeClock
) -> None:
    kis.rate_per_s = 8
    md = MarketData(kis_settings(fake, kis, kis_rate_per_s=7.0), sqlite_repos, clock=clock)
    days = [FRIDAY - timedelta(days=d) for d in (0, 1, 2, 3, 4)]
    results = await asyncio.gather(*(source(md).minute_bars(i, d) for i in (SAMSUNG, HYNIX) for d in days))
    await md.close()
    assert [len(r) for r in results] == [381] * 10
    assert kis.over_limit == 0


async def test_over_limit_answers_are_retried_and_lose_nothing(
    fake: FakeSources, kis: FakeKis, sqlite_repos: Repositories, clock: FakeClock
) -> None:
    kis.rate_per_s = 5
    settings = kis_settings(fake, kis, kis_rate_per_s=100.0, market_retry_attempts=60, market_retry_max_s=0.2)
    md = MarketData(settings, sqlite_repos, clock=clock)
    results = await asyncio.gather(*(source(md).minute_bars(i, FRIDAY) for i in (SAMSUNG, HYNIX)))
    await md.close()
    assert [len(r) for r in results] == [381, 381]
    assert kis.over_limit > 0


async def test_malformed_and_failing_answers(kmd: MarketData, kis: FakeKis) -> None:
    kis.fail("malformed", times=1)
    kis.fail("5xx", times=1)
    assert len(await source(kmd).minute_bars(SAMSUNG, FRIDAY)) == 381  # both retried
    kis.fail("5xx", times=50)
    with pytest.raises(SourceError, match="kis"):
        await source(kmd).fetch_quote(SAMSUNG)


async def test_weekends_are_not_requested_and_an_empty_day_is_no_error(
    fake: FakeSources, sqlite_repos: Repositories, clock: FakeClock
) -> None:
    with FakeKis(holidays=frozenset({date(2026, 11, 19)}), now=clock.now) as kis:
        md = MarketData(kis_settings(fake, kis), sqlite_repos, clock=clock)
        fetched = await source(md).fetch(SAMSUNG, Interval.M1, date(2026, 11, 19), date(2026, 11, 22))
        await md.close()
    days = sorted({b.ts.astimezone(KST).date() for b in fetched.bars})
    assert days == [FRIDAY]  # Thursday answered empty; Saturday and Sunday never asked
    assert kis.calls["FHKST03010230"] == 1 + 4


async def test_investor_flows_follow_the_continuation_header(kmd: MarketData, kis: FakeKis) -> None:
    flows = await source(kmd).investor_flows(SAMSUNG)
    assert len(flows) == 30
    assert kis.calls["FHKST01010900"] == 2
    assert [f.day for f in flows] == sorted(f.day for f in flows)
    last = flows[-1]
    assert last.day == FRIDAY
    assert last.individual_qty == -(last.foreign_qty + last.institution_qty)
    assert last.close is not None
    # values arrive in millions of KRW and are stored in KRW
    assert abs(last.foreign_value - last.foreign_qty * last.close) <= 0.5e6 + 1


async def test_daily_bars_carry_the_adjustment_factor(kmd: MarketData) -> None:
    bars = await source(kmd).daily_bars(SAMSUNG, date(2026, 6, 1), FRIDAY)
    assert len(bars) > 100  # two pages of 100
    assert bars[-1].ts == datetime(2026, 11, 20, tzinfo=UTC)
    assert {b.adj_factor for b in bars} == {0.5}
    assert bars[-1].close == float(minute_rows("005930", FRIDAY)[0]["stck_prpr"])


async def test_backfill_resumes_after_the_source_went_down(
    fake: FakeSources, kis: FakeKis, sqlite_repos: Repositories, clock: FakeClock
) -> None:
    settings = kis_settings(fake, kis, market_retry_attempts=1)
    kis.down_after = 9  # two sessions and a bit (4 calls a session)
    md = MarketData(settings, sqlite_repos, clock=clock)
    first = await md.fetch_history([SAMSUNG], interval=Interval.M1, days=7)
    assert "005930.KS" in first.failures
    kis.down_after = None
    before = sum(kis.calls.values())
    await md.fetch_history([SAMSUNG], interval=Interval.M1, days=7)
    await md.close()
    stored = await sqlite_repos.bars.list_bars("005930.KS", Interval.M1)
    sessions = {b.ts.astimezone(KST).date() for b in stored}
    assert len(sessions) == 5
    assert len(stored) == 5 * 381
    assert sum(kis.calls.values()) - before == 3 * 4  # only the three sessions not yet done


async def test_investor_flows_are_stored_and_refreshed_only_when_stale(
    fake: FakeSources, kis: FakeKis, repos: Repositories, clock: FakeClock
) -> None:
    """On SQLite and MariaDB: the first ask fetches and stores; asking again the same day reads storage."""
    md = MarketData(kis_settings(fake, kis), repos, clock=clock)
    flows = await md.investor_flows(SAMSUNG)
    again = await md.investor_flows(SAMSUNG, days=5)
    await md.close()
    assert len(flows) == 20
    assert [f.day for f in again] == [f.day for f in flows[-5:]]
    assert kis.calls["FHKST01010900"] == 2  # one refresh (two pages), then storage
    assert again[-1] == flows[-1]
    assert again[-1].foreign_value == pytest.approx(flows[-1].foreign_value)
    with pytest.raises(SymbolError, match="Korean stocks"):
        await md.investor_flows(make_instrument("AAPL", Market.US))
