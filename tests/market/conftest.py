"""Market fixtures: the fake sources server, fast settings, a controllable clock, MarketData over a
real migrated SQLite database (`sqlite_repos` from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.ports import Repositories
from core.settings import Settings, load_settings
from market import MarketData
from market.calendar import warm
from tests.fakes.fake_sources import FakeSources

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # Friday evening UTC, Saturday morning KST


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture(scope="session", autouse=True)
def _calendars() -> None:
    warm()


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources() as server:
        yield server


def make_settings(fake: FakeSources, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        **fake.settings_overrides(),
        "http_timeout_s": 1.0,
        "yahoo_rate_per_s": 1000.0,
        "krx_rate_per_s": 1000.0,
        "alphavantage_rate_per_s": 1000.0,
        "eex_rate_per_s": 1000.0,
        "market_retry_attempts": 3,
        "market_retry_base_s": 0.01,
        "market_retry_max_s": 0.02,
        "breaker_failures": 3,
        "breaker_reset_s": 60.0,
        "market_initial_days": 30,
        "database_url": "sqlite+aiosqlite:///unused.db",
    }
    values.update(extra)
    return load_settings(**values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(fake: FakeSources) -> Settings:
    return make_settings(fake)


@pytest.fixture
async def md(settings: Settings, sqlite_repos: Repositories, clock: FakeClock) -> AsyncIterator[MarketData]:
    service = MarketData(settings, sqlite_repos, clock=clock)
    yield service
    await service.close()
