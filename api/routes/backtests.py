"""POST /v1/backtests (admin key): start a backtest, get a job id; GET /v1/backtests/{id}: status and
the CLI's JSON records when done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import Admin, Key, Services
from api.errors import ApiError
from api.jobs import BacktestJobs, Job

router = APIRouter(tags=["backtests"])


class BacktestRequest(BaseModel):
    symbols: list[str] = Field(min_length=1, max_length=20)
    years: int = Field(default=10, ge=1, le=30)


class JobOut(BaseModel):
    id: str
    status: str
    symbols: list[str]
    years: int
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    records: list[dict[str, Any]]

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            status=job.status,
            symbols=job.symbols,
            years=job.years,
            created_at=job.created_at,
            finished_at=job.finished_at,
            error=job.error,
            records=job.records,
        )


def _jobs(services: Services) -> BacktestJobs:
    if services.backtests is None:
        raise ApiError(503, "backtests_unavailable", "backtests are not enabled in this process")
    return services.backtests


@router.post("/backtests", response_model=JobOut, status_code=202)
async def start_backtest(body: BacktestRequest, services: Services, _admin: Admin) -> JobOut:
    """Resolve the symbols (404 with close matches), then run the backtest in the background."""
    symbols = [(await services.resolver.resolve(s)).symbol for s in body.symbols]
    return JobOut.of(_jobs(services).start(symbols, body.years))


@router.get("/backtests/{job_id}", response_model=JobOut)
async def get_backtest(job_id: str, services: Services, _key: Key) -> JobOut:
    job = _jobs(services).get(job_id)
    if job is None:
        raise ApiError(
            404, "unknown_job", f"no backtest job {job_id!r} (jobs live in the process that ran them)"
        )
    return JobOut.of(job)
