"""End to end without network: fake sources on loopback -> MarketData -> Runtime -> SignalEngine ->
SQLite events -> notifier; a source timing out for a whole run; replay into a scratch store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import exchange_calendars as xcals
import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    JobEvent,
)

from core.ports import Repositories
from core.settings import load_settings
from core.types import Instrument, Market, SignalType
from market import MarketData
from scheduler import Runtime, replay
from storage import Database
from tests.fakes.fake_sources import Failure, FakeSources
from tests.fakes.source_payloads import Row
from tests.scheduler.fakes import FixedClock, RecordingNotifier, engine_factory

TUE_AFTER_CLOSE = datetime(2026, 11, 17, 22, 0, tzinfo=UTC)
WED_AFTER_CLOSE = datetime(2026, 11, 18, 22, 0, tzinfo=UTC)
HISTORY = [100.0 - i * 0.05 for i in range(260)]  # drifting below the SMA 200 (about 92)


def _sessions() -> list[date]:
    cal = xcals.get_calendar("XNYS", start="2025-01-01")
    return [d.date() for d in cal.sessions_in_range("2025-01-02", "2026-11-20")]


SESSIONS = _sessions()
LAST_HISTORY_DAY = SESSIONS.index(date(2026, 11, 17))


def rows(closes: list[float]) -> list[Row]:
    """Rows on NYSE sessions, the first len(HISTORY) ending 2026-11-17, the rest on the following sessions."""
    days = SESSIONS[LAST_HISTORY_DAY - len(HISTORY) + 1 :]
    out, prev = [], closes[0]
    for day, close in zip(days, closes, strict=False):
        out.append(Row(day, prev, max(prev, close) * 1.01, min(prev, close) * 0.99, close, 1000.0))
        prev = close
    return out


def _us(symbol: str, *sources: str) -> Instrument:
    return Instrument(symbol, symbol, Market.US, "USD", "America/New_York", sources)


@pytest.fixture
def fake() -> Iterator[FakeSources]:
    with FakeSources(slow_s=3.5) as server:
        yield server


def _settings(fake: FakeSources, **extra: Any) -> Any:
    values: dict[str, Any] = {
        **fake.settings_overrides(),
        "http_timeout_s": 1.5,  # generous on a loaded machine; SLOW answers take 3.5 s
        "yahoo_rate_per_s": 1000.0,
        "alphavantage_rate_per_s": 1000.0,
        "market_retry_attempts": 2,
        "market_retry_base_s": 0.01,
        "market_retry_max_s": 0.02,
        "breaker_failures": 2,
        "shutdown_timeout_s": 5.0,
        "catch_up_hours": 0.0,
    }
    values.update(extra)
    return load_settings(**values)


@pytest.fixture
async def live(fake: FakeSources, sqlite_repos: Repositories) -> AsyncIterator[tuple[Runtime, MarketData]]:
    history = rows(HISTORY)
    assert history[-1].day == date(2026, 11, 17)
    fake.add_yahoo("AAA", history)
    fake.add_yahoo("BBB", history)
    fake.add_av("CCC", history)
    await sqlite_repos.instruments.upsert_instruments(
        [_us("AAA", "yahoo"), _us("BBB", "yahoo"), _us("CCC", "alphavantage")]
    )
    clock = FixedClock(TUE_AFTER_CLOSE)
    settings = _settings(fake)
    md = MarketData(settings, sqlite_repos, clock=clock)
    notifier = RecordingNotifier(sqlite_repos)
    rt = Runtime(
        settings, sqlite_repos, market=md, notifier=notifier, engine_factory=engine_factory, clock=clock
    )
    yield rt, md
    if rt.scheduler is not None:
        await rt.stop()
    await md.close()


async def _fire(rt: Runtime, job_id: str) -> None:
    """Let the scheduler itself run `job_id` now; return once APScheduler has released the run
    (EVENT_JOB_EXECUTED comes after its instance count drops), so the next `_fire` of the same
    job is not skipped under max_instances=1. A skip fails here, by name."""
    assert rt.scheduler is not None
    before = rt.runs.get(job_id)
    seen: asyncio.Queue[JobEvent] = asyncio.Queue()

    def listen(event: JobEvent) -> None:
        if event.job_id == job_id:
            seen.put_nowait(event)

    rt.scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)
    try:
        rt.scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
        # up to 30 s: the first engine call may JIT-compile on a loaded machine
        event = await asyncio.wait_for(seen.get(), timeout=30)
    except TimeoutError:
        raise AssertionError(f"{job_id} did not run") from None
    finally:
        rt.scheduler.remove_listener(listen)
    assert event.code == EVENT_JOB_EXECUTED, f"{job_id}: APScheduler event {event.code}, not executed"
    assert rt.runs.get(job_id) is not before, f"{job_id} ran but recorded no run"


async def test_sma200_cross_from_fake_source_alerts_exactly_once(
    live: tuple[Runtime, MarketData], fake: FakeSources, sqlite_repos: Repositories
) -> None:
    rt, _md = live
    notifier = rt.notifier
    assert isinstance(notifier, RecordingNotifier)
    rt.start()
    await _fire(rt, "finalise_bars.us")  # first run loads the history: no alerts on the past
    assert rt.runs["finalise_bars.us"].outcome == "ok", rt.runs["finalise_bars.us"]
    assert len(await sqlite_repos.bars.list_bars("AAA")) == 260
    assert notifier.published == []
    # Wednesday: AAA closes at 100, above its SMA 200; BBB keeps drifting
    fake.add_yahoo("AAA", rows([*HISTORY, 100.0]))
    fake.add_yahoo("BBB", rows([*HISTORY, HISTORY[-1] - 0.05]))
    rt.clock.t = WED_AFTER_CLOSE  # type: ignore[attr-defined]
    yahoo_before = fake.count("yahoo")
    await _fire(rt, "finalise_bars.us")
    breakouts = [e for e in notifier.published if e.signal is SignalType.BREAKOUT_200]
    assert [(e.symbol, e.ts.date()) for e in breakouts] == [("AAA", date(2026, 11, 18))]
    assert len({e.key for e in notifier.published}) == len(notifier.published)
    assert fake.count("yahoo") - yahoo_before == 2  # one request per symbol, from the stored cursor
    # the next cycle: nothing new reaches the notifier or the outbox
    pending = await sqlite_repos.outbox.count_pending()
    published = len(notifier.published)
    await _fire(rt, "finalise_bars.us")
    assert len(notifier.published) == published
    assert await sqlite_repos.outbox.count_pending() == pending
    assert "bar->outbox" in rt.runs["evaluate_signals.us"].detail


async def test_source_timing_out_for_a_whole_run(
    live: tuple[Runtime, MarketData], fake: FakeSources, sqlite_repos: Repositories
) -> None:
    rt, _md = live
    fake.add_av("DDD", rows(HISTORY))
    await sqlite_repos.instruments.upsert_instruments([_us("DDD", "alphavantage")])
    fake.fail("alphavantage", Failure.SLOW)  # every Alpha Vantage request outlives the client timeout
    run = await rt.run_job("finalise_bars.us")
    assert run.outcome == "ok"
    assert "2 failed" in run.detail
    assert len(await sqlite_repos.bars.list_bars("AAA")) == 260
    assert len(await sqlite_repos.bars.list_bars("BBB")) == 260
    assert await sqlite_repos.bars.list_bars("CCC") == []
    report = await rt.health_report()
    sources = {s["source"]: s for s in report["sources"]}
    assert sources["alphavantage"]["breaker"] == "open"
    assert sources["yahoo"]["breaker"] == "closed"
    assert sources["yahoo"]["success_rate"] == 1.0
    stored = {h.source: h.breaker for h in await sqlite_repos.health.list_source_health()}
    assert stored["alphavantage"] == "open"  # what `finsignal status` in another process reads


async def test_replay_feeds_history_into_a_scratch_store_only(
    live: tuple[Runtime, MarketData], fake: FakeSources, sqlite_repos: Repositories
) -> None:
    rt, _md = live
    fake.add_yahoo("AAA", rows([*HISTORY, 100.0, 101.0, 80.0]))
    rt.clock.t = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    await rt.market.update([_us("AAA", "yahoo")])
    live_events = await sqlite_repos.events.list_events()
    scratch_db = await Database.open("sqlite+aiosqlite:///:memory:", migrate=True)
    try:
        notifier = RecordingNotifier()
        result = await replay(
            sqlite_repos,
            ["AAA", "NOPE"],
            date(2026, 11, 18),
            date(2026, 11, 20),
            speed=0,
            notifier=notifier,
            config=None,
            scratch=scratch_db.repos,
            engine_factory=engine_factory,
        )
        assert result.missing == ["NOPE"]
        assert (result.steps, result.bars) == (3, 3)
        kinds = [(e.signal, e.ts.date()) for e in result.events]
        assert (SignalType.BREAKOUT_200, date(2026, 11, 18)) in kinds
        assert (SignalType.BREAKDOWN_200, date(2026, 11, 20)) in kinds
        assert [e.key for e in notifier.published] == [e.key for e in result.events]
        assert len(await scratch_db.repos.events.list_events()) == len(result.events)
        assert await sqlite_repos.events.list_events() == live_events  # live tables untouched
        with pytest.raises(ValueError, match="before"):
            await replay(
                sqlite_repos,
                ["AAA"],
                date(2026, 11, 18),
                date(2026, 11, 17),
                notifier=notifier,
                scratch=scratch_db.repos,
            )
        with pytest.raises(ValueError, match="scratch"):
            await replay(sqlite_repos, ["AAA"], date(2026, 11, 18), notifier=notifier, scratch=sqlite_repos)
        # speed: N bars per second
        slow = await replay(
            sqlite_repos,
            ["AAA"],
            date(2026, 11, 18),
            None,
            speed=20.0,
            notifier=RecordingNotifier(),
            scratch=(await _fresh_scratch(scratch_db)).repos,
            engine_factory=engine_factory,
        )
        assert slow.bars == 3
        assert slow.elapsed_s >= 0.14
    finally:
        await scratch_db.close()


async def _fresh_scratch(previous: Database) -> Database:
    await previous.close()
    return await Database.open("sqlite+aiosqlite:///:memory:", migrate=True)
