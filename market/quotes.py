"""The hot quote cache: the latest quote per instrument plus recent adjusted closes, in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.types import Quote


@dataclass(slots=True)
class CachedQuote:
    quote: Quote
    fetched_at: datetime  # when it came from its source


@dataclass(slots=True)
class QuoteCache:
    """Quotes by symbol; `watched` symbols are kept warm (stale ones refreshed in the background)."""

    quotes: dict[str, CachedQuote] = field(default_factory=dict)
    closes: dict[str, list[float]] = field(default_factory=dict)  # recent adjusted daily closes
    watched: set[str] = field(default_factory=set)

    def get(self, symbol: str) -> CachedQuote | None:
        return self.quotes.get(symbol)

    def put(self, quote: Quote, fetched_at: datetime) -> None:
        self.quotes[quote.symbol] = CachedQuote(quote, fetched_at)

    def invalidate_history(self, symbol: str) -> None:
        self.closes.pop(symbol, None)
