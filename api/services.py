"""What the API talks to, bundled in `ApiServices`; the composition root (`finsignal.api`) wires it.

The API never touches storage: data comes through the repository Protocols of `core.ports` and the
service Protocols below, the same objects the bot gets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from api.jobs import BacktestJobs
from ask.service import Answer
from core.flows import FlowsReader
from core.ports import EventBus, Repositories
from core.timeutil import Clock
from core.types import Instrument, InvestorFlow, Quote


class Resolver(Protocol):
    async def resolve(self, text: str, *, verify: bool = False) -> Instrument:
        """The canonical instrument; raises `core.errors.SymbolError` (with close matches)."""
        ...

    async def search(self, text: str, limit: int) -> list[Instrument]:
        """Known instruments whose symbol, English or Korean name or alias contains `text`."""
        ...


class Quotes(Protocol):
    async def quote(self, instrument: Instrument) -> tuple[Quote, float]:
        """The latest quote from the hot cache and its age in seconds."""
        ...


class IndicatorSeries(Protocol):
    async def series(
        self, symbol: str, names: Sequence[str], start: datetime | None, end: datetime | None
    ) -> tuple[list[datetime], dict[str, list[float | None]]]:
        """The signal engine's own indicator values per daily bar (timestamps, values by name)."""
        ...

    def known(self) -> Sequence[str]:
        """The indicator names `series` accepts (e.g. sma50, sma200, rsi14, vol_avg20)."""
        ...


class Readiness(Protocol):
    async def check(self) -> Mapping[str, Any]:
        """{'database': 'ok' | reason, 'sources': {...}}: what /readyz reports."""
        ...


class InvestorFlows(Protocol):
    async def investor_flows(self, inst: Instrument, *, days: int = 20) -> list[InvestorFlow]:
        """Net buying by investor group, oldest first (`market.MarketData.investor_flows`)."""
        ...


class Halts(Protocol):
    async def is_halted(self, instrument: Instrument) -> bool:
        """True when trading in a KRX stock is halted (`market.listings.ListingKeeper`)."""
        ...


class Asker(Protocol):
    """Questions in plain words (`ask.service.AskService`)."""

    async def ask(self, question: str, *, watchlist: Sequence[str] = ()) -> Answer: ...


@dataclass(frozen=True, slots=True)
class Limits:
    """Request limits from settings."""

    rate_per_minute: int = 600
    max_bars: int = 5000
    max_intraday_days: int = 31
    cors_origins: tuple[str, ...] = ()
    quote_max_age_s: float = 300.0
    cache_s: float = 5.0


@dataclass(frozen=True, slots=True)
class ApiServices:
    """Everything the API talks to. `bus` is the live event bus behind WS /v1/stream."""

    repos: Repositories
    resolver: Resolver
    quotes: Quotes
    indicators: IndicatorSeries
    readiness: Readiness
    clock: Clock
    limits: Limits
    bus: EventBus | None = None
    backtests: BacktestJobs | None = None
    investor_flows: InvestorFlows | None = None  # issue 21: GET /v1/investors
    flows: FlowsReader | None = None  # issue 22: GET /v1/flows
    ask: Asker | None = None  # issue 23: POST /v1/ask
    halts: Halts | None = None  # issue 21: `halted` in quotes
