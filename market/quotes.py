"""The hot quote cache: the latest quote per instrument plus recent adjusted closes, in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.ports import EventBus
from core.types import Quote
from market.bus import quote_message


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
    bus: EventBus | None = None  # each new quote is published as `quote:SYMBOL` (issue 19)

    def get(self, symbol: str) -> CachedQuote | None:
        return self.quotes.get(symbol)

    def put(self, quote: Quote, fetched_at: datetime) -> None:
        self.quotes[quote.symbol] = CachedQuote(quote, fetched_at)
        if self.bus is not None:
            self.bus.publish(f"quote:{quote.symbol}", quote_message(quote))

    def invalidate_history(self, symbol: str) -> None:
        self.closes.pop(symbol, None)
