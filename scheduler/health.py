"""Health figures of a Runtime: jobs, sources, outbox depth, bar->outbox latency, process CPU/memory."""

from __future__ import annotations

import logging
import os
import statistics
from typing import Any

import psutil

from core import storage_faults
from core.types import JobRun, SourceHealth
from scheduler.host import RuntimeView
from scheduler.minute_check import last_check

logger = logging.getLogger(__name__)


class ProcessProbe:
    """CPU % since the previous call and resident memory of this process."""

    def __init__(self) -> None:
        self._proc = psutil.Process(os.getpid())
        self._proc.cpu_percent(interval=None)  # prime: the first reading is always 0

    def figures(self) -> dict[str, Any]:
        with self._proc.oneshot():
            return {
                "pid": self._proc.pid,
                "cpu_percent": self._proc.cpu_percent(interval=None),
                "rss_mb": round(self._proc.memory_info().rss / 2**20, 1),
                "threads": self._proc.num_threads(),
            }


def _job_row(run: JobRun, next_run: Any) -> dict[str, Any]:
    return {
        "job": run.job,
        "last_run": run.started_at.isoformat(timespec="seconds"),
        "duration_s": round(run.duration_s, 3),
        "outcome": run.outcome,
        "detail": run.detail,
        "next_run": next_run.isoformat(timespec="seconds") if next_run is not None else "",
    }


def source_row(h: SourceHealth) -> dict[str, Any]:
    total = h.successes + h.failures
    return {
        "source": h.source,
        "breaker": h.breaker,
        "ok": h.successes,
        "failed": h.failures,
        "success_rate": None if total == 0 else round(h.successes / total, 3),
        "latency_ms": None if h.last_latency_ms is None else round(h.last_latency_ms, 1),
        "last_error": h.last_error,
    }


def _pipeline(rt: RuntimeView) -> dict[str, Any]:
    lat = list(rt.pipeline.latencies)
    return {
        "symbols": len(rt.pipeline.last_ts),
        "evaluations": len(lat),
        "last_latency_ms": round(lat[-1] * 1000, 1) if lat else None,
        "median_latency_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "max_latency_ms": round(max(lat) * 1000, 1) if lat else None,
    }


def _jobs(rt: RuntimeView, runs: dict[str, JobRun]) -> list[dict[str, Any]]:
    rows = []
    for job_id in sorted(set(rt.jobs) | set(runs)):
        run = runs.get(job_id)
        nxt = rt.next_run(job_id) if job_id in rt.jobs else None
        if run is None:
            rows.append(
                {
                    "job": job_id,
                    "last_run": "",
                    "duration_s": None,
                    "outcome": "never",
                    "detail": "",
                    "next_run": nxt.isoformat(timespec="seconds") if nxt is not None else "",
                }
            )
        else:
            rows.append(_job_row(run, nxt))
    return rows


def _sources(rt: RuntimeView) -> list[dict[str, Any]]:
    try:
        return [source_row(h) for h in rt.market.health()]
    except Exception:
        logger.exception("market health unavailable")
        return []


def status(rt: RuntimeView) -> dict[str, Any]:
    """What this process knows without the database."""
    return {
        "owner": rt.owner_id,
        "role": rt.settings.role,
        "running": rt.scheduler is not None,
        "jobs": _jobs(rt, dict(rt.runs)),
        "sources": _sources(rt),
        "pipeline": _pipeline(rt),
        "process": rt.process.figures(),
    }


async def health_report(rt: RuntimeView) -> dict[str, Any]:
    """`status` merged with the database: job runs recorded by any owner, outbox depth."""
    report = status(rt)
    runs: dict[str, JobRun] = {}
    try:
        for run in await rt.repos.health.list_job_runs():
            runs[run.job] = run
    except Exception:
        logger.exception("job runs unavailable")
    for job_id, run in rt.runs.items():  # ours are fresher, and include 'skipped' (lease held elsewhere)
        if job_id not in runs or run.started_at >= runs[job_id].started_at:
            runs[job_id] = run
    report["jobs"] = _jobs(rt, runs)
    try:
        report["outbox_pending"] = await rt.repos.outbox.count_pending()
    except Exception:
        logger.exception("outbox depth unavailable")
        report["outbox_pending"] = None
    report.update(await storage_report(rt.repos.state))
    try:
        if (check := await last_check(rt.repos)) is not None:
            report["minute_check"] = check
    except Exception:
        logger.exception("minute check summary unavailable")
    return report


async def storage_report(state: Any) -> dict[str, Any]:
    """{'storage': 'ok' | disk_full | read_only | unavailable | error} from a write probe, and the
    faults this process's components are in ('storage_faults', only when there are any)."""
    out: dict[str, Any] = {"storage": await storage_faults.write_probe(state)}
    if faults := storage_faults.current():
        out["storage_faults"] = faults
    return out


def prometheus_text(report: dict[str, Any]) -> str:
    """The health report in Prometheus text exposition format (prometheus_client writes it: names,
    label escaping and types as the format wants)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.registry import Collector

    def families() -> list[GaugeMetricFamily | CounterMetricFamily]:
        out: list[GaugeMetricFamily | CounterMetricFamily] = []
        jobs = report.get("jobs", [])
        duration = GaugeMetricFamily(
            "finsignal_job_duration_seconds", "Duration of the last run of each job.", labels=["job"]
        )
        success = GaugeMetricFamily(
            "finsignal_job_last_success", "1 if the last run of the job succeeded.", labels=["job"]
        )
        for j in jobs:
            if j.get("duration_s") is not None:
                duration.add_metric([j["job"]], float(j["duration_s"]))
            if j["outcome"] != "never":
                success.add_metric([j["job"]], 1.0 if j["outcome"] == "ok" else 0.0)
        out += [duration, success]
        storage = report.get("storage")
        if storage is not None:
            fault = GaugeMetricFamily(
                "finsignal_storage_fault",
                "1 for the storage condition the database is in (disk_full, read_only, unavailable, error).",
                labels=["fault"],
            )
            fault.add_metric([storage if storage != "ok" else "none"], 1.0 if storage != "ok" else 0.0)
            out.append(fault)
        sources = report.get("sources", [])
        calls = CounterMetricFamily(
            "finsignal_source_requests", "Source calls by outcome.", labels=["source", "outcome"]
        )
        latency = GaugeMetricFamily(
            "finsignal_source_latency_ms", "Latency of the last call to each source.", labels=["source"]
        )
        breaker = GaugeMetricFamily(
            "finsignal_source_breaker_open", "1 while the source's breaker is open.", labels=["source"]
        )
        for src in sources:
            calls.add_metric([src["source"], "ok"], float(src["ok"]))
            calls.add_metric([src["source"], "failed"], float(src["failed"]))
            if src["latency_ms"] is not None:
                latency.add_metric([src["source"]], float(src["latency_ms"]))
            breaker.add_metric([src["source"]], 0.0 if src["breaker"] == "closed" else 1.0)
        out += [calls, latency, breaker]
        if report.get("outbox_pending") is not None:
            out.append(
                GaugeMetricFamily(
                    "finsignal_outbox_pending",
                    "Messages waiting in the outbox.",
                    float(report["outbox_pending"]),
                )
            )
        pipe = report.get("pipeline", {})
        if pipe.get("last_latency_ms") is not None:
            out.append(
                GaugeMetricFamily(
                    "finsignal_bar_to_outbox_seconds",
                    "Bars in hand to outbox rows, last evaluation.",
                    pipe["last_latency_ms"] / 1000,
                )
            )
        proc = report.get("process", {})
        out.append(
            GaugeMetricFamily(
                "finsignal_process_cpu_percent", "CPU of this process.", float(proc.get("cpu_percent", 0))
            )
        )
        out.append(
            GaugeMetricFamily(
                "finsignal_process_resident_memory_bytes",
                "Resident memory of this process.",
                float(proc.get("rss_mb", 0)) * 2**20,
            )
        )
        return out

    class _Report(Collector):
        def collect(self) -> Any:
            return iter(families())

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Report())
    return generate_latest(registry).decode()
