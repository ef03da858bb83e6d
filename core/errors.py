"""The one exception hierarchy of finsignal, with the policy each class stands for.

::

    FinsignalError                      base; never shown raw to a chat user
    +-- ConfigError                     a setting is invalid -> one line naming it, exit code 2
    +-- UsageError                      bad CLI/chat arguments -> usage message, exit code 2
    |   +-- SymbolError                 unknown or malformed symbol -> tell the user (with suggestions)
    +-- DataError                       a payload or a row is unusable -> skip it with a logged reason
    |   +-- ValidationError             a bar failed validation -> rejected, logged, batch continues
    +-- SourceError                     a data source failed
    |   +-- TransientSourceError        timeouts, 5xx, connection resets -> retry with backoff
    |   |   +-- RateLimitedError        HTTP 429 / quota payloads -> back off, retry later
    |   +-- PermanentSourceError        401/403/404, bad symbol, garbage -> no retry, try the fallback
    |   +-- CircuitOpenError           the breaker is open -> skip this source until it probes again
    +-- StorageError                    the database failed
    |   +-- DatabaseUnavailableError    cannot connect -> clear message, exit code 1 from the CLI
    +-- DeliveryError                   a message could not be delivered -> outbox keeps it for retry
"""

from __future__ import annotations

from collections.abc import Sequence


class FinsignalError(Exception):
    """Base of every error finsignal raises on purpose."""


class ConfigError(FinsignalError):
    """A setting is invalid. The CLI prints one line naming it and exits with status 2."""


class UsageError(FinsignalError):
    """Bad arguments from a user (CLI or chat). Shown as a usage message; CLI exit status 2."""


class SymbolError(UsageError):
    """An unknown or malformed symbol. `suggestions` holds close matches the user may have meant."""

    def __init__(self, symbol: str, reason: str = "unknown symbol", suggestions: Sequence[str] = ()) -> None:
        self.symbol = symbol
        self.reason = reason
        self.suggestions = tuple(suggestions)
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"{reason}: {symbol!r}.{hint}")


class DataError(FinsignalError):
    """A payload or row from a data source is unusable. Skip it, log the reason, keep the batch going."""


class ValidationError(DataError):
    """A bar failed validation before storage. Rejected with a logged reason; never stored silently."""


class SourceError(FinsignalError):
    """A data source failed. `source` names it (e.g. 'yahoo', 'krx')."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class TransientSourceError(SourceError):
    """Timeouts, 5xx, connection errors: retried with exponential backoff and jitter."""


class RateLimitedError(TransientSourceError):
    """HTTP 429 or a quota payload. `retry_after` seconds when the source says so."""

    def __init__(self, source: str, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(source, message)


class PermanentSourceError(SourceError):
    """401/403/404, unknown symbol at the source, garbage payloads: not retried; the fallback is tried."""


class CircuitOpenError(SourceError):
    """The source's circuit breaker is open: the call was not made."""


class StorageError(FinsignalError):
    """The database failed."""


class DatabaseUnavailableError(StorageError):
    """The database cannot be reached or the URL is wrong. The message says which, without secrets."""


class DeliveryError(FinsignalError):
    """A message could not be delivered; the outbox keeps it for a later attempt."""


class QueryTimeoutError(UsageError):
    """A question's query ran past its time limit and was stopped. Tell the user to narrow it."""


class QueryRefusedError(UsageError):
    """The read-only connection refused a question's query (a write, a denied function). Tell the user."""
