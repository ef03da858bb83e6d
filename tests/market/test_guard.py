"""The circuit breaker and the guard around every source call."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import CircuitOpenError, PermanentSourceError, TransientSourceError
from market import MarketData
from market.errors import BudgetExhaustedError, NoDataError
from market.guard import CircuitBreaker, SourceGuard
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import daily_rows
from tests.market.conftest import FakeClock, make_settings


def test_breaker_opens_probes_once_and_closes_or_reopens() -> None:
    clock = FakeClock()
    b = CircuitBreaker(threshold=2, reset_s=30, clock=clock)
    assert b.allow()
    b.record_failure()
    assert b.state == "closed"
    b.record_failure()
    assert b.state == "open"
    assert not b.allow()
    assert b.retry_in() == 30
    clock.advance(30)
    assert b.state == "half_open"
    assert b.allow()  # the probe
    assert not b.allow()  # only one at a time
    b.record_failure()  # the probe failed: open again for reset_s
    assert b.state == "open"
    clock.advance(29)
    assert not b.allow()
    clock.advance(1)
    assert b.allow()
    b.release_probe()  # the probe was not made after all
    assert b.allow()
    b.record_success()
    assert b.state == "closed"
    assert b.allow()


def guard(clock: FakeClock, **kw: object) -> SourceGuard:
    args: dict[str, object] = {
        "rate_per_s": 1000.0,
        "breaker_failures": 2,
        "breaker_reset_s": 10.0,
        "retry_attempts": 3,
        "retry_base_s": 0.001,
        "retry_max_s": 0.002,
    }
    args.update(kw)
    return SourceGuard("src", clock=clock, **args)  # type: ignore[arg-type]


async def test_guard_retries_transient_only_and_counts_calls_not_attempts() -> None:
    g = guard(FakeClock())
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise TransientSourceError("src", "boom")
        return "ok"

    assert await g.call(flaky) == "ok"
    assert attempts == 3
    assert (g.successes, g.failures) == (1, 0)

    async def refused() -> str:
        nonlocal attempts
        attempts += 1
        raise PermanentSourceError("src", "HTTP 401")

    attempts = 0
    with pytest.raises(PermanentSourceError):
        await g.call(refused)
    assert attempts == 1
    with pytest.raises(PermanentSourceError):
        await g.call(refused)
    with pytest.raises(CircuitOpenError, match="circuit open"):
        await g.call(refused)
    assert attempts == 2
    assert g.health().breaker == "open"
    assert g.health().last_error == "src: HTTP 401"


async def test_no_data_does_not_trip_and_bugs_become_source_errors() -> None:
    g = guard(FakeClock())

    async def empty() -> None:
        raise NoDataError("src", "nothing")

    for _ in range(5):
        with pytest.raises(NoDataError):
            await g.call(empty)
    assert g.breaker.state == "closed"

    async def bug() -> None:
        raise KeyError("oops")

    with pytest.raises(PermanentSourceError, match="unexpected KeyError"):
        await g.call(bug)


async def test_daily_budget() -> None:
    g = guard(FakeClock(), daily_budget=2)
    calls = 0

    async def ok() -> None:
        nonlocal calls
        calls += 1

    await g.call(ok)
    await g.call(ok)
    with pytest.raises(BudgetExhaustedError, match="daily budget of 2"):
        await g.call(ok)
    assert calls == 2
    assert g.breaker.state == "closed"


async def test_requests_in_flight_per_source_are_capped(fake: FakeSources, sqlite_repos, clock) -> None:  # type: ignore[no-untyped-def]
    symbols = ["SPY", "QQQ", "AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL"]
    for sym in symbols:
        fake.add_yahoo(sym, daily_rows(date(2026, 11, 2), [100.0 + i for i in range(15)]))
    fake.latency_s = 0.1
    md = MarketData(make_settings(fake, market_source_concurrency=2), sqlite_repos, clock=clock)
    try:
        res = await md.update([await md.resolve(s) for s in symbols])
    finally:
        await md.close()
    assert res.failures == {}
    assert fake.max_inflight == 2  # concurrent, but never above the source's cap


async def test_breaker_warning_names_the_source(caplog: pytest.LogCaptureFixture) -> None:
    g = guard(FakeClock(), retry_attempts=1)

    async def down() -> str:
        raise TransientSourceError("src", "503")

    for _ in range(2):
        with pytest.raises(TransientSourceError):
            await g.call(down)
    opened = [r.getMessage() for r in caplog.records if "circuit breaker opened" in r.getMessage()]
    assert opened == ["source src: circuit breaker opened after 2 failures; calls paused for 10 s"]
