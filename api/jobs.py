"""Backtest jobs: started by POST /v1/backtests, run on the event loop (the work in a thread), kept in
memory by id. Per process: with `--workers N`, poll the worker that answered the POST (or one worker)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.errors import FinsignalError
from core.timeutil import Clock

logger = logging.getLogger(__name__)
Runner = Callable[[Sequence[str], int], Awaitable[list[dict[str, Any]]]]
KEEP = 200  # finished jobs remembered


@dataclass
class Job:
    id: str
    symbols: list[str]
    years: int
    created_at: datetime
    status: str = "queued"  # queued | running | done | failed
    finished_at: datetime | None = None
    error: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)


class BacktestJobs:
    """Runs at most `concurrency` backtests at once; the rest wait their turn."""

    def __init__(self, runner: Runner, clock: Clock, concurrency: int = 1) -> None:
        self._runner, self._clock = runner, clock
        self._jobs: dict[str, Job] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, symbols: Sequence[str], years: int) -> Job:
        job = Job(secrets.token_hex(8), list(symbols), years, self._clock.now())
        self._jobs[job.id] = job
        for old in list(self._jobs)[:-KEEP]:
            if self._jobs[old].status in ("done", "failed"):
                del self._jobs[old]
        task = asyncio.create_task(self._run(job), name=f"backtest:{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    async def _run(self, job: Job) -> None:
        async with self._slots:
            job.status = "running"
            try:
                job.records = await self._runner(job.symbols, job.years)
                job.status = "done"
            except FinsignalError as exc:
                job.status, job.error = "failed", str(exc)
            except Exception as exc:
                logger.error("backtest job %s crashed: %s", job.id, type(exc).__name__)
                job.status, job.error = "failed", "internal error"
            job.finished_at = self._clock.now()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
