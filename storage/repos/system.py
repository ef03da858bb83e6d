"""State blobs, leases, job runs and source health."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.exc import OperationalError

from core.timeutil import utcnow
from core.types import JobRun, SourceHealth
from storage.models import JobRunRow, LeaseRow, SourceHealthRow, StateRow
from storage.repos.base import Repo, table_of

logger = logging.getLogger(__name__)
LEASE_RETRIES = 5
_MYSQL_RETRYABLE = {1213, 1205}  # deadlock, lock wait timeout


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

        One atomic upsert whose update applies only when the lease is ours or expired, so two
        processes can never both hold it. MySQL deadlock victims (rolled back whole) retry.
        """
        expires = now + timedelta(seconds=ttl_s)
        for attempt in range(LEASE_RETRIES):
            try:
                if self._dialect == "sqlite":
                    return await self._lease_sqlite(name, owner, now, expires)
                return await self._lease_mysql(name, owner, now, expires)
            except OperationalError as exc:
                code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
                if code not in _MYSQL_RETRYABLE or attempt == LEASE_RETRIES - 1:
                    raise
                logger.debug("lease %s: retrying after MySQL error %s", name, code)
                await asyncio.sleep(0.01 * (attempt + 1))
        return False  # pragma: no cover - the loop returns or raises

    async def release_lease(self, name: str, owner: str) -> bool:
        """Give up `name` if `owner` holds it: the row is deleted, so anyone may take it at once."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.owner == owner)
            )
            return getattr(result, "rowcount", 0) == 1

    async def _lease_sqlite(self, name: str, owner: str, now: datetime, expires: datetime) -> bool:
        table = table_of(LeaseRow)
        stmt = sqlite.insert(table).values(name=name, owner=owner, expires_at=expires)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
            where=or_(LeaseRow.owner == owner, LeaseRow.expires_at <= now),
        )
        async with self._sessions.begin() as session:
            result = await session.execute(stmt)
            return getattr(result, "rowcount", 0) == 1

    async def _lease_mysql(self, name: str, owner: str, now: datetime, expires: datetime) -> bool:
        table = table_of(LeaseRow)
        stmt = mysql.insert(table).values(name=name, owner=owner, expires_at=expires)
        takes = or_(LeaseRow.owner == stmt.inserted.owner, LeaseRow.expires_at <= now)
        # `takes` judges the old row. MySQL/MariaDB apply the assignments left to right, so when
        # `expires_at` is set `owner` may already be ours: `takes` is still true exactly when we won
        # (and with MariaDB's SIMULTANEOUS_ASSIGNMENT it sees the old row anyway).
        stmt = stmt.on_duplicate_key_update(
            [
                ("owner", func.if_(takes, stmt.inserted.owner, LeaseRow.owner)),
                ("expires_at", func.if_(takes, stmt.inserted.expires_at, LeaseRow.expires_at)),
            ]
        )
        async with self._sessions.begin() as session:
            await session.execute(stmt)
            holder = await session.scalar(select(LeaseRow.owner).where(LeaseRow.name == name))
            return holder == owner


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
