"""The monthly fund-flow collection (issue 22) in the scheduler: due on the 1st after each month ends,
run under its lease against the fund-flow stand-ins with a clock the test moves, and brought forward
at start-up when the due time passed while no scheduler ran."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.ports import Repositories
from fundflow.digest import MonthlyCollection
from fundflow.tracker import FILE_NAME
from scheduler import Runtime
from scheduler.jobs import JobKind, fire_times, plan_jobs
from tests.fundflow.fake_flows import FakeFlows
from tests.scheduler.conftest import make_settings
from tests.scheduler.fakes import FakeMarket, FixedClock, RecordingNotifier, engine_factory, wait_for


@pytest.fixture
def fake() -> Iterator[FakeFlows]:
    with FakeFlows() as server:
        yield server


def runtime(
    repos: Repositories, fake: FakeFlows, directory: Path, clock: FixedClock, **kw: object
) -> Runtime:
    settings = make_settings(
        **fake.settings_overrides(), fundflow_dir=directory, fundflow_years=1, job_stagger_seconds=0, **kw
    )
    return Runtime(
        settings,
        repos,
        market=FakeMarket(repos),
        notifier=RecordingNotifier(repos),
        engine_factory=engine_factory,
        clock=clock,
        owner_id="A",
        flows=MonthlyCollection(settings, clock),
    )


def last_months(directory: Path) -> set[str]:
    return set(json.loads((directory / FILE_NAME).read_text())["last_month"].values())


def test_due_on_the_first_of_every_month_after_it_ends() -> None:
    [job] = [j for j in plan_jobs(make_settings(), with_flows=True) if j.kind is JobKind.COLLECT_FLOWS]
    times = fire_times(job, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert times == [datetime(2026, m, 1, 2, 0, tzinfo=UTC) for m in range(1, 13)]
    assert all(j.kind is not JobKind.COLLECT_FLOWS for j in plan_jobs(make_settings()))


async def test_each_run_stores_the_month_just_ended(
    sqlite_repos: Repositories, fake: FakeFlows, tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    fake.now = date(2026, 3, 1)
    rt = runtime(sqlite_repos, fake, tmp_path, clock)
    first = await rt.run_job(JobKind.COLLECT_FLOWS.value)
    assert first.outcome == "ok", first.detail
    assert first.detail == "300 months in 25 series, 0 up to date, 0 failed"  # 25 series x 12 months
    assert last_months(tmp_path) == {"2026-02-01"}

    clock.t, fake.now = datetime(2026, 4, 1, 2, 0, tzinfo=UTC), date(2026, 4, 1)
    fake.requests.clear()
    second = await rt.run_job(JobKind.COLLECT_FLOWS.value)
    assert second.detail == "25 months in 25 series, 0 up to date, 0 failed"  # March only
    assert last_months(tmp_path) == {"2026-03-01"}
    assert len(fake.requests) == 26  # one request a series (OilPriceAPI pages twice)

    again = await rt.run_job(JobKind.COLLECT_FLOWS.value)  # same month: nothing to fetch
    assert again.detail == "0 months in 0 series, 25 up to date, 0 failed"
    runs = {r.job: r for r in await sqlite_repos.health.list_job_runs()}
    assert runs["collect_flows"].outcome == "ok"


async def test_a_missed_collection_runs_at_start_up(
    sqlite_repos: Repositories, fake: FakeFlows, tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))  # due at 02:00, no scheduler ran
    fake.now = date(2026, 3, 1)
    rt = runtime(sqlite_repos, fake, tmp_path, clock, catch_up_hours=20.0)
    rt.start()
    try:
        await wait_for(lambda: "collect_flows" in rt.runs)
        assert rt.runs["collect_flows"].outcome == "ok"
        assert last_months(tmp_path) == {"2026-02-01"}
    finally:
        await rt.stop()
