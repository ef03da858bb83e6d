"""The fund-flow port for the bot, the API, the briefing and the scheduler (`core.flows`).

`FlowsDigests.digest` reads the stored Parquet through DuckDB, summarises, renders the three sentences
and (when asked) the chart; the answer is cached per language until a dataset file changes.
`MonthlyCollection.collect_month` is the scheduler's monthly job: the resumable collection of
`fundflow.service.collect` over `fundflow_years`.
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, cast

from core.flows import FlowsDigest
from core.settings import Settings
from core.timeutil import Clock

if TYPE_CHECKING:
    from fundflow.report import Lang

# DuckDB, pandas and matplotlib (about 150 MB resident) load at the first digest or collection, not
# when the bot starts: most processes never draw the fund-flow chart.

Key = tuple[tuple[tuple[str, int], ...], str, bool]


class FlowsDigests:
    """`core.flows.FlowsReader` over `settings.fundflow_dir`."""

    def __init__(self, settings: Settings) -> None:
        self._dir = settings.fundflow_dir
        self._cache: dict[Key, FlowsDigest] = {}
        self._lock = asyncio.Lock()

    async def digest(self, lang: str, *, chart: bool = False) -> FlowsDigest:
        code = cast("Lang", lang if lang in ("ko", "en") else "en")
        async with self._lock:  # one render at a time: matplotlib's pyplot is not thread-safe
            return await asyncio.to_thread(self._digest, code, chart)

    def _digest(self, lang: Lang, chart: bool) -> FlowsDigest:
        from fundflow import query
        from fundflow.report import Summary, render_chart, summarise, to_json
        from fundflow.sentences import sentences

        stamp = tuple((p.name, p.stat().st_mtime_ns) for p in query.files(self._dir))
        key: Key = (stamp, lang, chart)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        frame = query.rows(self._dir)
        summary = Summary() if frame is None else summarise(frame, flow=query.monthly_flows(self._dir))
        png: bytes | None = None
        if chart and summary.last is not None:
            buf = io.BytesIO()
            render_chart(summary, buf, lang)
            png = buf.getvalue()
        result = FlowsDigest(summary.last, sentences(summary, lang), png, to_json(summary))
        self._cache = {k: v for k, v in self._cache.items() if k[0] == stamp}
        self._cache[key] = result
        return result


class MonthlyCollection:
    """`core.flows.FlowsCollector`: what the scheduler's `collect_flows` job runs."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings, self._clock = settings, clock

    async def collect_month(self) -> str:
        from fundflow import service

        result = await service.collect(self._settings, self._clock, years=self._settings.fundflow_years)
        detail = (
            f"{sum(result.stored.values())} months in {len(result.stored)} series, "
            f"{len(result.up_to_date)} up to date, {len(result.failed)} failed"
        )
        if result.failed and not result.stored and not result.up_to_date:
            raise RuntimeError(f"fund-flow collection failed: {detail}")
        return detail
