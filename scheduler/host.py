"""What the Runtime's helper modules see of it, as Protocols: `scheduler.health` and `scheduler.metrics`
read its figures (`RuntimeView`), `scheduler.followups` schedules one-off runs on it (`FollowupHost`).

`scheduler.runtime.Runtime` implements both. The helpers depend on this module, not on the runtime that
imports them, so the scheduler's modules form no import cycle (not even one through type hints).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.ports import Repositories
from core.settings import Settings
from core.timeutil import Clock
from core.types import JobRun
from scheduler.jobs import JobDef
from scheduler.pipeline import SignalPipeline
from scheduler.ports import MarketPort


class ProcessProbeLike(Protocol):
    """CPU and memory figures of this process (`scheduler.health.ProcessProbe`)."""

    def figures(self) -> dict[str, Any]: ...


class RuntimeView(Protocol):
    """The figures a health report is made of."""

    @property
    def settings(self) -> Settings: ...
    @property
    def repos(self) -> Repositories: ...
    @property
    def market(self) -> MarketPort: ...
    @property
    def pipeline(self) -> SignalPipeline: ...
    @property
    def owner_id(self) -> str: ...
    @property
    def jobs(self) -> Mapping[str, JobDef]: ...
    @property
    def runs(self) -> Mapping[str, JobRun]: ...
    @property
    def process(self) -> ProcessProbeLike: ...
    @property
    def scheduler(self) -> AsyncIOScheduler | None: ...
    def next_run(self, job_id: str) -> datetime | None: ...


class HealthReporter(Protocol):
    """The one call the metrics endpoint makes."""

    def health_report(self) -> Awaitable[dict[str, Any]]: ...


class RaterLike(Protocol):
    def unrated_watched(self, symbols: Iterable[str]) -> Awaitable[list[str]]: ...


class FollowupHost(Protocol):
    """The runtime's own scheduler and retry book, which `scheduler.followups` (its extension) manages."""

    _scheduler: AsyncIOScheduler | None
    _accepting: bool
    _retries: dict[str, int]
    _lease_retries: dict[str, int]

    @property
    def settings(self) -> Settings: ...
    @property
    def repos(self) -> Repositories: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def jobs(self) -> Mapping[str, JobDef]: ...
    @property
    def rater(self) -> RaterLike: ...
    def _fire(self, job_id: str, symbols: list[str] | None = None) -> Awaitable[None]: ...
