"""Alpha Vantage's 25-a-day budget survives restarts: counted in a rolling 24 hours, kept in the database."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from core.ports import Repositories
from market import MarketData
from market.budget import DailyBudget
from market.errors import BudgetExhaustedError
from tests.fakes.fake_sources import Failure, FakeSources
from tests.fakes.source_payloads import daily_rows
from tests.market.conftest import FakeClock, make_settings

START = date(2026, 11, 2)
CLOSES = [70.0 + i for i in range(15)]


class MemoryStore:
    def __init__(self, blob: bytes | None = None, broken: bool = False) -> None:
        self.blob = blob
        self.broken = broken
        self.writes = 0

    async def get_state(self, key: str) -> bytes | None:
        if self.broken:
            raise ConnectionError("database gone")
        return self.blob

    async def put_state(self, key: str, value: bytes) -> None:
        if self.broken:
            raise ConnectionError("database gone")
        self.blob = value
        self.writes += 1


async def test_a_restart_does_not_hand_out_the_budget_again(
    fake: FakeSources,
    sqlite_repos: Repositories,
    clock: FakeClock,
) -> None:
    fake.fail("yahoo", Failure.NOT_FOUND)
    for sym in ("SPY", "QQQ", "MSFT"):
        fake.add_av(sym, daily_rows(START, CLOSES))
    settings = make_settings(fake, alphavantage_daily_budget=2)
    first = MarketData(settings, sqlite_repos, clock=clock)
    try:
        res = await first.update([await first.resolve(s) for s in ("SPY", "QQQ")])
        assert res.failures == {}
    finally:
        await first.close()
    assert fake.count("alphavantage") == 2

    clock.current += timedelta(hours=23)  # a new process the same day
    second = MarketData(settings, sqlite_repos, clock=clock)
    try:
        res = await second.update([await second.resolve("MSFT")])
        assert "daily budget of 2 requests used up" in res.failures["MSFT"]
        assert fake.count("alphavantage") == 2  # the call was not made

        clock.current += timedelta(hours=1, seconds=1)  # 24 hours after the first two calls
        res = await second.update([await second.resolve("MSFT")])
        assert res.failures == {}
    finally:
        await second.close()
    assert fake.count("alphavantage") == 3


async def test_window_rolls_and_says_when_the_next_call_is_free() -> None:
    clock = FakeClock()
    store = MemoryStore()
    budget = DailyBudget("alphavantage", 2, clock, store)
    await budget.take()
    clock.current += timedelta(hours=6)
    await budget.take()
    with pytest.raises(BudgetExhaustedError, match=r"next at \d{4}-\d\d-\d\d \d\d:\d\d UTC"):
        await budget.take()
    assert budget.used() == 2
    clock.current += timedelta(hours=18)  # the first call is 24 hours old
    await budget.take()
    assert budget.used() == 2
    assert store.writes == 3
    restored = DailyBudget("alphavantage", 2, clock, MemoryStore(store.blob))
    with pytest.raises(BudgetExhaustedError):
        await restored.take()


@pytest.mark.parametrize("blob", [b"garbage", b'{"calls": ["2026-11-20T10:00:00"]}', b'{"other": 1}', b"[]"])
async def test_an_unusable_stored_budget_is_logged_and_counting_starts_afresh(
    blob: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    budget = DailyBudget("alphavantage", 1, FakeClock(), MemoryStore(blob))
    with caplog.at_level(logging.WARNING):
        await budget.take()
    assert "stored budget unusable" in caplog.text
    with pytest.raises(BudgetExhaustedError):
        await budget.take()


async def test_a_dead_database_does_not_stop_the_source(caplog: pytest.LogCaptureFixture) -> None:
    budget = DailyBudget("alphavantage", 2, FakeClock(), MemoryStore(broken=True))
    with caplog.at_level(logging.WARNING):
        await budget.take()
        await budget.take()
    assert "stored budget not readable" in caplog.text
    assert "request budget not saved" in caplog.text
    with pytest.raises(BudgetExhaustedError):  # still counted in memory
        await budget.take()
