"""The entry points the CLI calls (and, through `fundflow.digest`, the bot, API and scheduler)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

import httpx

from core.errors import UsageError
from core.settings import Settings
from core.timeutil import Clock
from fundflow import query
from fundflow.catalogue import Market, SeriesSpec, load_series
from fundflow.collect import Collector, CollectResult, build_sources, window
from fundflow.report import Lang, Summary, render_chart, render_text, summarise
from fundflow.store import FlowStore, gaps, remove_stale_temporaries
from fundflow.tracker import ResumeTracker


def select(specs: Sequence[SeriesSpec], markets: Sequence[str] | None) -> list[SeriesSpec]:
    if not markets:
        return list(specs)
    known = {str(m) for m in Market}
    unknown = sorted(set(markets) - known)
    if unknown:
        raise UsageError(f"unknown market(s) {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
    return [s for s in specs if str(s.market) in markets]


async def collect(
    settings: Settings,
    clock: Clock,
    *,
    years: int,
    markets: Sequence[str] | None = None,
    on_done: Callable[[str], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CollectResult:
    directory = settings.fundflow_dir
    specs = select(load_series(), markets)
    first, last = window(clock, years)
    if directory.exists():
        remove_stale_temporaries(directory)
    async with httpx.AsyncClient(transport=transport) as client:
        collector = Collector(
            build_sources(settings, client, clock),
            FlowStore(directory),
            ResumeTracker(directory),
            clock,
            error_log=directory / "errors.log",
        )
        return await collector.run(specs, first, last, on_done)


@dataclass
class Status:
    last_month: dict[str, date]
    rows: dict[str, int]
    gaps: dict[str, list[date]]
    missing: list[str]


def status(settings: Settings) -> Status:
    directory = settings.fundflow_dir
    frame = FlowStore(directory).read_all()
    tracked = ResumeTracker(directory).all()
    rows = {str(k): int(v) for k, v in frame.groupby("market").size().items()} if len(frame) else {}
    missing = [s.key for s in load_series() if s.key not in tracked]
    return Status(last_month=tracked, rows=rows, gaps=gaps(frame) if len(frame) else {}, missing=missing)


def report(
    settings: Settings, *, lang: Lang, chart: Path | None, markdown: Path | None
) -> tuple[str, Summary]:
    directory = settings.fundflow_dir
    frame = query.rows(directory)  # DuckDB over every market's Parquet file
    summary = Summary() if frame is None else summarise(frame, flow=query.monthly_flows(directory))
    text = render_text(summary, lang)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(text, encoding="utf-8")
    if chart is not None and summary.last is not None:
        render_chart(summary, chart, lang)
    return text, summary


def export_csv(settings: Settings, out: Path | TextIO) -> int:
    """Every stored row, sorted by market, series and month, as CSV (UTF-8, header row)."""
    frame = query.rows(settings.fundflow_dir)
    if frame is None:
        frame = FlowStore(settings.fundflow_dir).read_all()
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    return len(frame)
