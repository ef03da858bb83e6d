"""What every market source shares: the fetch result shape and the PriceSource plumbing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import httpx

from core.settings import Settings
from core.timeutil import Clock
from core.types import Bar, Instrument, Interval, Quote
from market.guard import SourceGuard


@dataclass(slots=True)
class FetchResult:
    """Raw bars of the requested instrument (oldest first), plus what the payload told us besides.

    `splits`: (ts of the split day, factor for bars before it), e.g. a 4:1 split -> 0.25.
    `dividends`: (ts of the ex-dividend day, cash amount per share, in the bars' currency).
    `others`: bars of sibling instruments that came in the same payload (KRX returns every vintage).
    `covered_until`: the source confirms data is complete up to this date even without a bar
    (e.g. a KRX vintage that did not trade), so the cursor may move there.
    """

    bars: list[Bar] = field(default_factory=list)
    splits: list[tuple[datetime, float]] = field(default_factory=list)
    dividends: list[tuple[datetime, float]] = field(default_factory=list)
    others: dict[str, list[Bar]] = field(default_factory=dict)
    covered_until: date | None = None


class Source:
    """Base of the HTTP sources: a name, a guard (limits, breaker, retries), a shared httpx client."""

    name = ""
    intraday = False

    def __init__(
        self, settings: Settings, client: httpx.AsyncClient, guard: SourceGuard, clock: Clock
    ) -> None:
        self.settings = settings
        self.client = client
        self.guard = guard
        self.clock = clock

    def ticker(self, instrument: Instrument) -> str:
        return instrument.source_symbols.get(self.name, instrument.symbol)

    async def fetch(self, instrument: Instrument, interval: Interval, start: date, end: date) -> FetchResult:
        raise NotImplementedError

    async def fetch_bars(
        self, instrument: Instrument, interval: Interval, start: date, end: date
    ) -> list[Bar]:
        """`core.ports.PriceSource`: bars with start <= trading date <= end, oldest first."""
        return (await self.fetch(instrument, interval, start, end)).bars

    async def fetch_quote(self, instrument: Instrument) -> Quote | None:
        return None


def to_float(value: object) -> float | None:
    """'1,234.5' / 1234.5 / '' / None / '-' -> float or None."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace(",", "").strip()
    if not text or text in {"-", "null", "None"}:
        return None
    try:
        return float(text)
    except ValueError:
        return None
