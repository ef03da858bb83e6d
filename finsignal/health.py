"""`finsignal status`: health read from the database (another process may be running the bot)."""

from __future__ import annotations

import os
from typing import Any

import psutil

from core import storage_faults
from core.errors import DatabaseUnavailableError
from core.settings import Settings
from core.timeutil import utcnow
from scheduler.minute_check import last_check as last_minute_check

NEW_DATABASE = (
    "the database is new (no tables yet): create it with `finsignal db upgrade` (`finsignal run` also does)"
)


def process_figures() -> dict[str, Any]:
    """CPU and memory of this process, via psutil."""
    proc = psutil.Process(os.getpid())
    with proc.oneshot():
        mem = proc.memory_info().rss
        return {
            "pid": proc.pid,
            "cpu_percent": proc.cpu_percent(interval=0.1),
            "rss_mb": round(mem / 2**20, 1),
            "threads": proc.num_threads(),
        }


async def collect_status(settings: Settings) -> dict[str, Any]:
    """Database reachability, sources and breakers, last job runs, outbox depth, process figures."""
    from storage import Database
    from storage.urls import mask

    report: dict[str, Any] = {"generated_at": utcnow().isoformat(timespec="seconds")}
    url = mask(settings.database_url)
    try:
        db = await Database.open(settings.database_url, migrate=False)
    except DatabaseUnavailableError as exc:
        report["database"] = {"url": url, "ok": False, "error": str(exc)}
        report["process"] = process_figures()
        return report
    try:
        await db.ping()
        if await db.revision() is None:
            report["database"] = {"url": url, "ok": False, "error": NEW_DATABASE}
            return report
        repos = db.repos
        storage = await storage_faults.write_probe(repos.state)  # disk_full / read_only show on a write
        report["database"] = {"url": url, "ok": storage == "ok", "dialect": db.dialect, "storage": storage}
        report["sources"] = [
            {
                "source": h.source,
                "breaker": h.breaker,
                "ok": h.successes,
                "failed": h.failures,
                "success_rate": f"{h.successes / max(1, h.successes + h.failures):.0%}",
                "latency_ms": None if h.last_latency_ms is None else round(h.last_latency_ms),
                "last_error": h.last_error[:60],
                "updated": h.updated_at.isoformat(timespec="seconds") if h.updated_at else "",
            }
            for h in await repos.health.list_source_health()
        ]
        report["jobs"] = [
            {
                "job": r.job,
                "last_run": r.started_at.isoformat(timespec="seconds"),
                "duration_s": round(r.duration_s, 3),
                "outcome": r.outcome,
                "detail": r.detail[:60],
            }
            for r in await repos.health.list_job_runs()
        ]
        report["outbox_pending"] = await repos.outbox.count_pending()
        report["instruments"] = len(await repos.instruments.list_instruments())
        report["watched_symbols"] = len(await repos.watches.list_watched_symbols())
        report["chats"] = len(await repos.chats.list_chats())
        if (check := await last_minute_check(repos)) is not None:
            report["minute_check"] = check  # the last session's minute bars against the daily bars
    except DatabaseUnavailableError as exc:
        report["database"] = {"url": url, "ok": False, "error": str(exc)}
    finally:
        await db.close()
        report["process"] = process_figures()
    return report


def quick_check(settings: Settings) -> bool:
    """`status --check` (the container health check): the database answers and has its tables. Uses the
    database driver alone (storage.probe), not SQLAlchemy, the market, signal or bot packages."""
    from storage.probe import database_ready

    return database_ready(settings.database_url)
