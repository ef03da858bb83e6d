"""What the scheduler needs from its collaborators, as Protocols (injected by the composition root)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from core.types import Bar, Instrument, Interval, Quote, SignalEvent, SourceHealth


class UpdateResultLike(Protocol):
    """What `market.MarketData.update` returns."""

    @property
    def new_bars(self) -> Mapping[str, list[Bar]]: ...
    @property
    def failures(self) -> Mapping[str, str]: ...


class MarketPort(Protocol):
    """Market data: bars into storage (returning what is new), quotes into the hot cache, source health."""

    async def update(
        self, instruments: list[Instrument], /, *, interval: Interval = Interval.D1
    ) -> UpdateResultLike: ...

    async def refresh_quotes(self, instruments: list[Instrument], /) -> object: ...

    def health(self) -> list[SourceHealth]: ...


class HistoryPort(Protocol):
    """Years of daily history loaded once (resumable), then brought up to date: `MarketData.fetch_history`."""

    async def fetch_history(self, instruments: list[Instrument], /, years: int = 10) -> UpdateResultLike: ...


class NewsPort(Protocol):
    """News crawling for a set of symbols."""

    async def crawl(self, symbols: list[str], /) -> object: ...


class EnginePort(Protocol):
    """The incremental signal engine (`signals.SignalEngine`)."""

    def warm_up(self, symbol: str, bars: list[Bar], /) -> object: ...
    def on_bars(self, bars: list[Bar], /) -> list[SignalEvent]: ...
    def dump_state(self) -> bytes: ...
    def load_state(self, data: bytes, /) -> EnginePort:
        """Build an engine from `dump_state` bytes (a classmethod on the real engine)."""
        ...

    def symbols(self) -> object: ...


class BrieferPort(Protocol):
    """Sends the briefing of one slot ('08:00'); the same shape as `core.ports.Briefer`."""

    async def send_briefing(self, slot: str, /) -> int: ...


class DepthPort(Protocol):
    """Korean market depth kept after each session (issue 21): `market.MarketData`."""

    async def investor_flows(self, inst: Instrument, /, *, days: int = 20) -> object: ...
    async def etf_holdings(self, etf: Instrument, /) -> object: ...


class QuotePort(Protocol):
    """The latest quote of an instrument, with its age in seconds: `market.MarketData.quote`."""

    async def quote(self, inst: Instrument, /) -> tuple[Quote, float]: ...
