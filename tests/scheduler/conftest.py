"""Scheduler test set-up: real SQLite (`sqlite_repos`), the real SignalEngine, a fake market, fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from core.ports import Repositories
from core.settings import Settings
from core.types import Chat, ChatKind, Market, Watch
from scheduler import Runtime
from tests.scheduler.fakes import (
    FakeMarket,
    FixedClock,
    RecordingNotifier,
    crossing_closes,
    daily_bars,
    engine_factory,
    instrument,
)

IN_US_SESSION = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)  # Wed 11:00 New York


def make_settings(**kw: Any) -> Settings:
    kw.setdefault("shutdown_timeout_s", 5.0)
    kw.setdefault("catch_up_hours", 0.0)  # tests fire jobs themselves (catch-up has its own test)
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


@pytest.fixture
async def seeded(sqlite_repos: Repositories) -> Repositories:
    """AAA and BBB (US) with 260 stored daily bars each, drifting below their SMA200."""
    repos = sqlite_repos
    closes, _ = crossing_closes()
    await repos.instruments.upsert_instruments(
        [instrument("AAA"), instrument("BBB"), instrument("KAU25", Market.KETS)]
    )
    for sym in ("AAA", "BBB"):
        await repos.bars.upsert_bars(daily_bars(sym, closes))
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    for sym in ("AAA", "BBB", "KAU25"):
        await repos.watches.upsert_watch(Watch(1, sym))
    return repos


def next_bar(repos: Repositories, symbol: str, close: float) -> Any:
    """The bar after the seeded history (same calendar as `daily_bars`)."""
    closes, _ = crossing_closes()
    return daily_bars(symbol, [*closes, close])[-1]


RuntimeMaker = Callable[..., Runtime]


@pytest.fixture
async def make_runtime(seeded: Repositories) -> AsyncIterator[RuntimeMaker]:
    made: list[Runtime] = []

    def make(
        repos: Repositories | None = None,
        *,
        market: FakeMarket | None = None,
        notifier: RecordingNotifier | None = None,
        owner_id: str = "A",
        clock: FixedClock | None = None,
        **settings: Any,
    ) -> Runtime:
        r = repos or seeded
        rt = Runtime(
            make_settings(**settings),
            r,
            market=market or FakeMarket(r),
            notifier=notifier or RecordingNotifier(r),
            engine_factory=engine_factory,
            clock=clock or FixedClock(IN_US_SESSION),
            owner_id=owner_id,
        )
        made.append(rt)
        return rt

    yield make
    for rt in made:
        if rt.scheduler is not None:
            await rt.stop()
