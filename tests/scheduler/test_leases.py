"""Leases that follow the process: a storage fault inside try_lease is a job error (named, logged
once), a job skipped for a lease runs when the lease frees, leases are released at stop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.ports import Repositories
from scheduler.health import prometheus_text
from storage import Database
from tests.fakes.storage_faults import StorageFaults
from tests.scheduler.conftest import RuntimeMaker


async def test_a_storage_fault_is_a_named_job_error_logged_once(
    sqlite_db: Database, make_runtime: RuntimeMaker, caplog: pytest.LogCaptureFixture
) -> None:
    rt = make_runtime()
    with StorageFaults(sqlite_db) as faults, caplog.at_level(logging.INFO, logger="core.storage_faults"):
        faults.set("disk_full")
        runs = [await rt.run_job("update_prices.us") for _ in range(3)]
        assert [(r.outcome, r.detail) for r in runs] == [("error", "storage fault: disk_full")] * 3
        report = await rt.health_report()
        assert report["storage"] == "disk_full"
        assert report["storage_faults"]["scheduler"] == "disk_full"
        assert 'finsignal_storage_fault{fault="disk_full"} 1' in prometheus_text(report)
        faults.clear()
        assert (await rt.run_job("update_prices.us")).outcome != "error"
        assert (await rt.health_report())["storage"] == "ok"
    logged = [r.getMessage() for r in caplog.records if r.name == "core.storage_faults"]
    assert len(logged) == 2, logged  # started, cleared: not once per run
    assert "disk_full" in logged[0]
    assert "cleared" in logged[1]


async def test_a_job_skipped_for_a_lease_runs_when_the_lease_frees(make_runtime: RuntimeMaker) -> None:
    a = make_runtime(owner_id="a", lease_ttl_s=10)
    b = make_runtime(owner_id="b", lease_ttl_s=10)
    assert (await a.run_job("update_prices.us")).outcome == "ok"
    b.start()
    skipped = await b.run_job("update_prices.us")
    assert skipped.outcome == "skipped"
    assert b.scheduler is not None
    assert b.scheduler.get_job("update_prices.us:lease") is not None  # tried again shortly
    await a.stop()  # a clean stop releases a's leases
    for _ in range(100):
        run = b.runs.get("update_prices.us:lease")
        if run is not None and run.outcome == "ok":
            break
        await asyncio.sleep(0.1)
    assert b.runs["update_prices.us:lease"].outcome == "ok"


async def test_a_clean_stop_releases_the_job_leases(seeded: Repositories, make_runtime: RuntimeMaker) -> None:
    a = make_runtime(owner_id="a")
    assert (await a.run_job("update_prices.us")).outcome == "ok"
    assert not await seeded.state.try_lease("job:update_prices.us", "b", a.clock.now(), 60)  # a holds it
    await a.stop()
    assert await seeded.state.try_lease("job:update_prices.us", "b", a.clock.now(), 60)
