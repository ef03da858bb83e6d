"""One-off runs a Runtime schedules after its regular jobs: retries of failed instruments,
ratings of newly watched symbols, and jobs missed while no scheduler ran (caught up at start)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.date import DateTrigger

from scheduler.host import FollowupHost
from scheduler.jobs import JobDef, JobKind, missed_bar_jobs

logger = logging.getLogger(__name__)


def run_once(
    rt: FollowupHost, job_id: str, kind: JobKind, symbols: list[str] | None, delay: timedelta
) -> datetime:
    """Schedule one run of `job_id` for `symbols` after `delay` (replacing a pending one)."""
    assert rt._scheduler is not None
    when = datetime.now(UTC) + delay  # scheduler time
    rt._scheduler.add_job(
        rt._fire,
        trigger=DateTrigger(when),
        args=[job_id],
        kwargs={"symbols": symbols},
        id=job_id,
        name=kind.value,
        replace_existing=True,
        misfire_grace_time=rt.settings.misfire_grace_s,
    )
    return when


LEASE_RETRIES = 20  # in a row, per job, then the job waits for its next regular run


def retry_when_free(rt: FollowupHost, job: JobDef, job_id: str, symbols: list[str] | None) -> None:
    """A run skipped for a lease held elsewhere (or a storage fault) is tried again shortly: the
    holder releases the lease when its run ends, so the next try normally runs."""
    if rt._scheduler is None or not rt._accepting:
        return
    key = job_id.split(":")[0]
    n = rt._lease_retries.get(key, 0)
    if n >= LEASE_RETRIES:
        rt._lease_retries.pop(key, None)
        logger.warning("job %s: still no lease after %d tries; left to its next regular run", key, n)
        return
    rt._lease_retries[key] = n + 1
    delay = timedelta(seconds=min(30.0, max(1.0, rt.settings.lease_ttl_s / 10)))
    retry_id = job_id if job_id.endswith(":lease") else f"{job_id}:lease"
    when = run_once(rt, retry_id, job.kind, symbols, delay)
    logger.info("job %s: tried again at %s", job_id, when.isoformat())


def lease_taken(rt: FollowupHost, job_id: str) -> None:
    rt._lease_retries.pop(job_id.split(":")[0], None)


def schedule_retry(rt: FollowupHost, job: JobDef, failed: list[str]) -> None:
    """Run `job` again for the `failed` instruments later, up to `finalise_retries` times in a row."""
    key = job.id
    if not failed:
        rt._retries.pop(key, None)
        return
    n = rt._retries.get(key, 0)
    if n >= rt.settings.finalise_retries or rt._scheduler is None or not rt._accepting:
        rt._retries.pop(key, None)
        return
    rt._retries[key] = n + 1
    delay = timedelta(minutes=rt.settings.finalise_retry_minutes)
    when = run_once(rt, f"{job.id}:retry", job.kind, failed, delay)
    logger.info("job %s: %d failed instruments retried at %s", job.id, len(failed), when.isoformat())


def rate_soon(rt: FollowupHost, symbols: list[str], job_id: str) -> datetime | None:
    """A `rate_signals` run for `symbols` shortly, merged with one still pending under `job_id`
    (it rates only what is due, loading missing history first). None: no scheduler runs here."""
    if rt._scheduler is None or not rt._accepting or not symbols:
        return None
    todo = sorted(set(symbols))
    pending = rt._scheduler.get_job(job_id)
    if pending is not None:
        todo = sorted({*todo, *pending.kwargs.get("symbols", [])})
    delay = timedelta(seconds=max(1, rt.settings.job_stagger_seconds))
    return run_once(rt, job_id, JobKind.RATE_SIGNALS, todo, delay)


async def chain_ratings(rt: FollowupHost, job: JobDef, symbols: list[str]) -> None:
    """Watched symbols that just got bars but have no rating yet are rated shortly (not at 05:00)."""
    if rt._scheduler is None or not rt._accepting or not symbols:
        return
    try:
        todo = await rt.rater.unrated_watched(symbols)
    except Exception:
        logger.exception("job %s: could not look up unrated symbols", job.id)
        return
    when = rate_soon(rt, todo, f"{JobKind.RATE_SIGNALS}:{job.id}")
    if when is not None:
        logger.info("job %s: %d unrated symbols rated at %s", job.id, len(todo), when.isoformat())


async def catch_up(rt: FollowupHost) -> list[str]:
    """Bring forward bar jobs whose last due time passed while no scheduler ran them (within
    `catch_up_hours`), e.g. a restart after a market's close, then `rate_signals` (it only
    rates what is missing or stale). Returns the job ids brought forward."""
    hours = rt.settings.catch_up_hours
    if rt._scheduler is None or not rt._accepting or hours <= 0:
        return []
    runs = {r.job: r.started_at for r in await rt.repos.health.list_job_runs()}
    due = missed_bar_jobs(rt.jobs.values(), runs, rt.clock.now(), timedelta(hours=hours))
    stagger = timedelta(seconds=max(1, rt.settings.job_stagger_seconds))
    if JobKind.RATE_SIGNALS.value in rt.jobs:
        due.append(JobKind.RATE_SIGNALS.value)  # once after start-up: rates what is missing or old
    for i, job_id in enumerate(due):
        rt._scheduler.modify_job(job_id, next_run_time=datetime.now(UTC) + i * stagger)
        logger.info("job %s brought forward at start-up (missed or catching up)", job_id)
    return due
