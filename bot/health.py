"""A ready `Health` port for /status: process CPU and memory (psutil), jobs, sources, outbox depth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psutil

from core.ports import Repositories
from core.timeutil import fmt_kst


class RepoHealth:
    """`bot.services.Health` from the repositories and psutil (the scheduler records jobs and sources)."""

    def __init__(self, repos: Repositories) -> None:
        self._repos = repos
        self._process = psutil.Process()
        self._process.cpu_percent(None)  # prime: the next call reports usage since now

    async def report(self) -> Mapping[str, Any]:
        mem = self._process.memory_info()
        jobs = {}
        for run in await self._repos.health.list_job_runs():
            jobs[run.job] = (
                f"{run.outcome} at {fmt_kst(run.started_at)} in {run.duration_s:.1f}s {run.detail}".strip()
            )
        sources = {}
        for h in await self._repos.health.list_source_health():
            latency = "-" if h.last_latency_ms is None else f"{h.last_latency_ms:.0f} ms"
            error = f", last error: {h.last_error}" if h.last_error else ""
            sources[h.source] = (
                f"breaker {h.breaker}, ok {h.successes}, failed {h.failures}, {latency}{error}"
            )
        return {
            "process": {
                "cpu": f"{self._process.cpu_percent(None):.1f}%",
                "memory": f"{mem.rss / 2**20:.0f} MiB",
                "system cpu": f"{psutil.cpu_percent(None):.1f}%",
                "system memory": f"{psutil.virtual_memory().percent:.1f}%",
            },
            "outbox_pending": await self._repos.outbox.count_pending(),
            "jobs": jobs or {"-": "no runs yet"},
            "sources": sources or {"-": "no data yet"},
        }
