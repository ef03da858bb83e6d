"""The ports the bot needs, bundled in `BotServices`; the composition root wires real implementations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ask.service import Answer
from core.flows import FlowsReader
from core.ports import Repositories
from core.types import Bar, EtfHolding, Instrument, InvestorFlow, NewsItem, Quote


class Resolver(Protocol):
    async def resolve(self, text: str, *, verify: bool = False) -> Instrument:
        """The canonical instrument for what a user typed; raises `core.errors.SymbolError`. With
        `verify`, a symbol not yet known is checked at its data source (unknown there: SymbolError)."""
        ...


class Quotes(Protocol):
    async def quote(self, instrument: Instrument) -> tuple[Quote, float]:
        """The latest quote from the hot cache and its age in seconds."""
        ...


class Indicators(Protocol):
    async def snapshot(self, symbol: str) -> Mapping[str, float | None]:
        """Current indicator values (close, sma50, sma200, rsi14, volume, volume_avg ...)."""
        ...


class History(Protocol):
    async def bars(self, symbol: str, days: int) -> list[Bar]:
        """Daily bars of the last `days` calendar days, oldest first."""
        ...


class Backtests(Protocol):
    async def run(self, symbol: str) -> str:
        """Run the backtest of `symbol` and return a short plain-text summary."""
        ...


class News(Protocol):
    async def latest(self, query: str | None, limit: int) -> list[NewsItem]:
        """Latest classified headlines, optionally for a symbol or an industry."""
        ...


class Health(Protocol):
    async def report(self) -> Mapping[str, Any]:
        """Health figures for /status: jobs, sources, breakers, outbox depth, CPU, memory."""
        ...


class Followups(Protocol):
    def watched(self, symbol: str) -> None:
        """A chat started watching `symbol`: load its history and rate it soon (best effort)."""
        ...


class InvestorFlows(Protocol):
    async def investor_flows(self, inst: Instrument, *, days: int = 20) -> list[InvestorFlow]:
        """Net buying by investor group, oldest first (`market.MarketData.investor_flows`)."""
        ...


class EtfHoldings(Protocol):
    async def etf_holdings(self, etf: Instrument) -> tuple[list[EtfHolding], list[EtfHolding]]:
        """The latest portfolio snapshot and the one before (`market.MarketData.etf_holdings`)."""
        ...


class Asker(Protocol):
    """Questions in plain words (issue 23; `ask.service.AskService`)."""

    async def ask(self, question: str, *, watchlist: Sequence[str] = ()) -> Answer: ...


@dataclass(frozen=True, slots=True)
class BotServices:
    """Everything the bot talks to. `news`, `backtests`, `health` and `followups` may be None (not wired,
    or no scheduler in this process)."""

    repos: Repositories
    resolver: Resolver
    quotes: Quotes
    indicators: Indicators
    history: History
    backtests: Backtests | None = None
    news: News | None = None
    health: Health | None = None
    followups: Followups | None = None
    investor_flows: InvestorFlows | None = None  # issue 21: /investors
    etfs: EtfHoldings | None = None
    flows: FlowsReader | None = None  # issue 22: /flows and the briefing's monthly section
    ask: Asker | None = None
