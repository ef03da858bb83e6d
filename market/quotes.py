"""The hot quote cache: the latest quote per instrument plus recent adjusted closes, in memory.

With a `hot` tier (Redis, issue 20: `market.hot_quotes`) the in-memory quotes are its L1: `lookup`
falls through to it, `store` writes it before publishing, `invalidate` drops the L1 copy when another
process announced a newer quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from core.ports import EventBus
from core.types import Quote
from market.bus import quote_message


@dataclass(slots=True)
class CachedQuote:
    quote: Quote
    fetched_at: datetime  # when it came from its source


class HotQuotes(Protocol):
    """A shared tier behind the in-process cache (the Redis hot tier); never raises on an outage."""

    async def get(self, symbol: str) -> CachedQuote | None: ...

    async def put(self, cached: CachedQuote) -> None: ...


@dataclass(slots=True)
class QuoteCache:
    """Quotes by symbol; `watched` symbols are kept warm (stale ones refreshed in the background)."""

    quotes: dict[str, CachedQuote] = field(default_factory=dict)
    closes: dict[str, list[float]] = field(default_factory=dict)  # recent adjusted daily closes
    watched: set[str] = field(default_factory=set)
    bus: EventBus | None = None  # each new quote is published as `quote:SYMBOL` (issue 19)
    hot: HotQuotes | None = None  # the Redis hot tier behind this L1 (issue 20)
    invalidations: dict[str, int] = field(default_factory=dict)  # per symbol, to spot one during a read

    def get(self, symbol: str) -> CachedQuote | None:
        return self.quotes.get(symbol)

    def put(self, quote: Quote, fetched_at: datetime) -> None:
        self.quotes[quote.symbol] = CachedQuote(quote, fetched_at)
        if self.bus is not None:
            self.bus.publish(f"quote:{quote.symbol}", quote_message(quote))

    async def lookup(self, symbol: str) -> CachedQuote | None:
        """L1, else the hot tier (its answer kept in L1 until a newer quote is announced)."""
        cached = self.quotes.get(symbol)
        if cached is None and self.hot is not None:
            seen = self.invalidations.get(symbol, 0)
            cached = await self.hot.get(symbol)
            if cached is not None and self.invalidations.get(symbol, 0) == seen:  # else it may be older
                self.quotes[symbol] = cached
        return cached

    async def store(self, quote: Quote, fetched_at: datetime) -> None:
        """Write the hot tier first (so a process told by the event reads the new quote), then `put`."""
        if self.hot is not None:
            await self.hot.put(CachedQuote(quote, fetched_at))
        self.put(quote, fetched_at)

    def invalidate(self, symbol: str) -> None:
        """Drop the L1 copy (another process published a newer quote)."""
        self.quotes.pop(symbol, None)
        self.invalidations[symbol] = self.invalidations.get(symbol, 0) + 1

    def invalidate_history(self, symbol: str) -> None:
        self.closes.pop(symbol, None)
