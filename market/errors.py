"""Market-specific refinements of `core.errors.SourceError` (they keep the core policy)."""

from __future__ import annotations

from core.errors import PermanentSourceError, RateLimitedError


class NoDataError(PermanentSourceError):
    """The source answered correctly but has nothing for this symbol/range (unknown ticker, empty,
    all-null). Not retried, does not count against the circuit breaker; the fallback is tried."""


class BudgetExhaustedError(RateLimitedError):
    """Our own daily request budget for the source is used up: the call is not made, not retried."""
