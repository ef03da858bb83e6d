"""CursorRepo, StateRepo (blobs and leases) and HealthRepo on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.ports import Repositories
from core.types import FetchCursor, Interval, JobRun, SourceHealth
from storage import Database

T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)


async def test_cursors(repos: Repositories) -> None:
    assert await repos.cursors.get_cursor("AAPL", "yahoo", Interval.D1) is None
    cursor = FetchCursor("AAPL", "yahoo", Interval.D1, T0, updated_at=T0 + timedelta(seconds=5))
    await repos.cursors.set_cursor(cursor)
    assert await repos.cursors.get_cursor("AAPL", "yahoo", Interval.D1) == cursor
    moved = FetchCursor("AAPL", "yahoo", Interval.D1, T0 + timedelta(days=1))
    await repos.cursors.set_cursor(moved)
    got = await repos.cursors.get_cursor("AAPL", "yahoo", Interval.D1)
    assert got is not None
    assert got.last_ts == T0 + timedelta(days=1)
    assert got.updated_at is not None
    assert got.updated_at.tzinfo is UTC
    assert await repos.cursors.get_cursor("AAPL", "krx", Interval.D1) is None
    assert await repos.cursors.get_cursor("AAPL", "yahoo", Interval.M5) is None


async def test_state_blobs(repos: Repositories) -> None:
    assert await repos.state.get_state("engine:AAPL") is None
    blob = bytes(range(256)) * 1000  # 256 KB, every byte value
    await repos.state.put_state("engine:AAPL", blob)
    assert await repos.state.get_state("engine:AAPL") == blob
    await repos.state.put_state("engine:AAPL", b"")
    assert await repos.state.get_state("engine:AAPL") == b""
    await repos.state.put_state("etag:한국경제", b'W/"abc"')
    assert await repos.state.get_state("etag:한국경제") == b'W/"abc"'


async def test_lease_take_renew_expire(repos: Repositories) -> None:
    assert await repos.state.try_lease("scheduler", "a", T0, 30) is True
    assert await repos.state.try_lease("scheduler", "b", T0 + timedelta(seconds=10), 30) is False
    assert await repos.state.try_lease("scheduler", "a", T0 + timedelta(seconds=20), 30) is True  # renew
    assert await repos.state.try_lease("scheduler", "a", T0 + timedelta(seconds=20), 30) is True  # same again
    assert await repos.state.try_lease("scheduler", "b", T0 + timedelta(seconds=49), 30) is False
    assert await repos.state.try_lease("scheduler", "b", T0 + timedelta(seconds=50), 30) is True  # expired
    assert await repos.state.try_lease("scheduler", "a", T0 + timedelta(seconds=60), 30) is False
    assert await repos.state.try_lease("other", "a", T0 + timedelta(seconds=60), 30) is True


async def test_two_processes_contending_for_a_lease(db: Database) -> None:
    """Two Database objects (two engines, two pools) race; exactly one holds the lease each round."""
    other = await Database.open(db.url.render_as_string(hide_password=False), migrate=False)
    try:
        for round_no in range(15):
            now = T0 + timedelta(seconds=100 * round_no)  # every round starts after the last expired
            results = await asyncio.gather(
                *(
                    repos.state.try_lease("scheduler", owner, now, 50)
                    for _ in range(3)
                    for owner, repos in (("a", db.repos), ("b", other.repos))
                )
            )
            winners = {owner for owner, won in zip("ababab", results, strict=True) if won}
            assert len(winners) == 1, (round_no, results)
    finally:
        await other.close()


async def test_job_runs_keep_the_last_run_per_job(repos: Repositories) -> None:
    await repos.health.record_job_run(JobRun("update_prices", T0, 1.5, "ok"))
    await repos.health.record_job_run(JobRun("fetch_news", T0, 0.25, "error", "timeout 연합뉴스"))
    await repos.health.record_job_run(JobRun("update_prices", T0 + timedelta(hours=1), 2.0, "skipped"))
    assert await repos.health.list_job_runs() == [
        JobRun("fetch_news", T0, 0.25, "error", "timeout 연합뉴스"),
        JobRun("update_prices", T0 + timedelta(hours=1), 2.0, "skipped"),
    ]


async def test_source_health(repos: Repositories) -> None:
    yahoo = SourceHealth("yahoo", "closed", 10, 1, 123.5, "", updated_at=T0)
    await repos.health.upsert_source_health(yahoo)
    await repos.health.upsert_source_health(SourceHealth("krx", "open", 0, 5, None, "HTTP 503"))
    opened = SourceHealth("yahoo", "open", 10, 6, None, "HTTP 429", updated_at=T0 + timedelta(minutes=1))
    await repos.health.upsert_source_health(opened)
    krx, yahoo_now = await repos.health.list_source_health()
    assert yahoo_now == opened
    assert (krx.source, krx.breaker, krx.last_latency_ms) == ("krx", "open", None)
    assert krx.updated_at is not None
    assert krx.updated_at.tzinfo is UTC
