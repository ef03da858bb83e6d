"""The fund-flow port (issue #22): what the bot, the API and the scheduler see of `fundflow`.

`fundflow` implements it and the composition root wires it in, so `bot`, `api` and `scheduler` never
import `fundflow` (import-linter: only `finsignal` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


@dataclass(frozen=True, slots=True)
class FlowsDigest:
    """The latest monthly fund-flow picture in one language.

    `month` is the latest month stored (None: nothing collected yet); `sentences` are three plain-text
    sentences (shares, rotation, correlation) or one saying there is no data; `chart` is the report's
    PNG when asked for; `data` is the JSON form of the report (`fundflow.report.to_json`)."""

    month: date | None
    sentences: tuple[str, ...]
    chart: bytes | None = None
    data: Mapping[str, object] = field(default_factory=dict)


class FlowsReader(Protocol):
    async def digest(self, lang: str, *, chart: bool = False) -> FlowsDigest:
        """The digest of the stored data (`lang` 'ko' or 'en'); never fetches from sources."""
        ...


class FlowsCollector(Protocol):
    async def collect_month(self) -> str:
        """Collect the months finished since the last run (resumable); a one-line summary."""
        ...
