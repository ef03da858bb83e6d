"""State blobs, leases, job runs and source health."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from core.timeutil import utcnow
from core.types import JobRun, SourceHealth
from storage.models import JobRunRow, LeaseRow, SourceHealthRow, StateRow
from storage.repos.base import Repo


class SqlStateRepo(Repo):
    async def get_state(self, key: str) -> bytes | None:
        async with self._sessions() as session:
            row = await session.get(StateRow, key)
            return None if row is None else bytes(row.value)

    async def put_state(self, key: str, value: bytes) -> None:
        stmt = self._upsert(StateRow, ["key"], ["value", "updated_at"])
        async with self._sessions.begin() as session:
            await session.execute(stmt, {"key": key, "value": bytes(value), "updated_at": utcnow()})

    async def try_lease(self, name: str, owner: str, now: datetime, ttl_s: float) -> bool:
        """Take or renew `name` for `owner` if it is free, expired or already ours.

        Two single atomic statements, each its own transaction: a conditional UPDATE (row-locked,
        re-checked against the latest row on InnoDB; SQLite serialises writers), then, when no row
        exists, an INSERT that ignores a duplicate. Whoever's statement changes a row holds the lease.
        """
        expires = now + timedelta(seconds=ttl_s)
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, or_(LeaseRow.owner == owner, LeaseRow.expires_at <= now))
                .values(owner=owner, expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) == 1:
                return True
        async with self._sessions.begin() as session:
            stmt = self._insert_ignore(LeaseRow)
            result = await session.execute(stmt, {"name": name, "owner": owner, "expires_at": expires})
            return getattr(result, "rowcount", 0) == 1


class SqlHealthRepo(Repo):
    async def record_job_run(self, run: JobRun) -> None:
        """Keep the last run of each job."""
        stmt = self._upsert(JobRunRow, ["job"], ["started_at", "duration_s", "outcome", "detail"])
        params = {
            "job": run.job,
            "started_at": run.started_at,
            "duration_s": run.duration_s,
            "outcome": run.outcome[:16],
            "detail": run.detail,
        }
        async with self._sessions.begin() as session:
            await session.execute(stmt, params)

    async def list_job_runs(self) -> list[JobRun]:
        async with self._sessions() as session:
            rows = await session.scalars(select(JobRunRow).order_by(JobRunRow.job))
            return [
                JobRun(
                    job=r.job,
                    started_at=r.started_at,
                    duration_s=r.duration_s,
                    outcome=r.outcome,
                    detail=r.detail,
                )
                for r in rows
            ]

    async def upsert_source_health(self, health: SourceHealth) -> None:
        columns = ["breaker", "successes", "failures", "last_latency_ms", "last_error", "updated_at"]
        stmt = self._upsert(SourceHealthRow, ["source"], columns)
        params = {
            "source": health.source,
            "breaker": health.breaker,
            "successes": health.successes,
            "failures": health.failures,
            "last_latency_ms": health.last_latency_ms,
            "last_error": health.last_error,
            "updated_at": health.updated_at or utcnow(),
        }
        async with self._sessions.begin() as session:
            await session.execute(stmt, params)

    async def list_source_health(self) -> list[SourceHealth]:
        async with self._sessions() as session:
            rows = await session.scalars(select(SourceHealthRow).order_by(SourceHealthRow.source))
            return [
                SourceHealth(
                    source=r.source,
                    breaker=r.breaker,
                    successes=r.successes,
                    failures=r.failures,
                    last_latency_ms=r.last_latency_ms,
                    last_error=r.last_error,
                    updated_at=r.updated_at,
                )
                for r in rows
            ]
