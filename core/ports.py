"""Ports: the Protocols that packages talk through. Implementations live elsewhere
(`storage` implements the repositories, `market` the price sources, `bot` the notifier).

Every repository method is async and returns domain types from `core.types`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from core.types import (
    AlertHit,
    ApiKey,
    Bar,
    Chat,
    EtfHolding,
    Fanout,
    FetchCursor,
    Instrument,
    Interval,
    InvestorFlow,
    JobRun,
    Listing,
    ListingStatus,
    NewsItem,
    OutboxMessage,
    Quote,
    Rating,
    SignalEvent,
    SignalType,
    SourceHealth,
    UserAlert,
    Watch,
    WatcherGroup,
)

# --------------------------------------------------------------------------------------------
# Outside systems
# --------------------------------------------------------------------------------------------


@runtime_checkable
class PriceSource(Protocol):
    """A market-data source. Returns validated bars, oldest first; raises `core.errors.SourceError`s."""

    name: str

    async def fetch_bars(
        self, instrument: Instrument, interval: Interval, start: date, end: date
    ) -> list[Bar]:
        """Bars of `instrument` with start <= trading date <= end."""
        ...

    async def fetch_quote(self, instrument: Instrument) -> Quote | None:
        """The latest quote, or None when the source has no intraday quote."""
        ...


class Notifier(Protocol):
    """Where signal events go once stored. The bot's implementation fans them out to the outbox."""

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        """Hand new events to delivery; returns the number of messages enqueued."""
        ...


@runtime_checkable
class CloseNotifier(Protocol):
    """A `Notifier` that also delivers chats' own alerts (issue 24) together with the signal events of
    the same bar close, so that a chat can get them as one digest."""

    async def publish_close(
        self, events: Sequence[SignalEvent], hits: Sequence[AlertHit], *, created: Set[str] = frozenset()
    ) -> int:
        """Hand new events and user-alert hits of one bar close to delivery; messages enqueued.
        `created`: keys of `events` stored for the first time by this close (nothing of theirs can be
        in the outbox yet, so delivery need not look); the others may have been handed over before."""
        ...


@runtime_checkable
class ReadsAhead(Protocol):
    """A `Notifier` that can read ahead, off the bar->outbox path, what the next events' delivery
    reads (who watches what, instrument names, track records), so that the close only checks it."""

    async def read_ahead(self) -> None:
        """Hold that data in memory again if it changed; never raises (the close reads instead)."""
        ...


class NewsPublisher(Protocol):
    """Where newly stored headlines go. The bot's implementation alerts the chats that opted in."""

    async def publish_news(self, items: Sequence[NewsItem]) -> int:
        """Hand new items to delivery; returns the number of messages enqueued."""
        ...


# --------------------------------------------------------------------------------------------
# Repositories (implemented by `storage`)
# --------------------------------------------------------------------------------------------


class InstrumentRepo(Protocol):
    async def upsert_instruments(self, instruments: Iterable[Instrument]) -> None: ...
    async def get_instrument(self, symbol: str) -> Instrument | None: ...
    async def get_instruments(self, symbols: Iterable[str]) -> dict[str, Instrument]:
        """The stored ones of `symbols`, by symbol (a few queries, not one per symbol)."""
        ...

    async def list_instruments(self, *, active_only: bool = True) -> list[Instrument]: ...
    async def cache_instruments(self) -> int:
        """Hold every instrument in memory, unless what is held is current; `get_instruments` then
        answers from memory while no instrument is written (one version read per call). Returns the
        number held."""
        ...


class BarRepo(Protocol):
    async def upsert_bars(self, bars: Sequence[Bar]) -> int:
        """Insert or replace bars (unique per symbol, interval, ts); returns rows written. Idempotent."""
        ...

    async def list_bars(
        self,
        symbol: str,
        interval: Interval = Interval.D1,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Bar]:
        """Bars oldest first; with `limit`, the latest `limit` bars (still oldest first)."""
        ...

    async def last_bar(self, symbol: str, interval: Interval = Interval.D1) -> Bar | None: ...

    async def set_adj_factors(
        self, symbol: str, interval: Interval, factors: Sequence[tuple[datetime, float]]
    ) -> int:
        """Re-adjust history without refetching: each (ts_from, factor) sets adj_factor for bars
        with ts < ts_from multiplied by factor (applied in order). Returns rows changed."""
        ...


class ChatRepo(Protocol):
    async def upsert_chat(self, chat: Chat) -> Chat: ...
    async def get_chat(self, chat_id: int) -> Chat | None: ...
    async def list_chats(self, *, active_only: bool = True, tier: str | None = None) -> list[Chat]: ...
    async def set_active(self, chat_id: int, active: bool) -> None: ...
    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: move the chat, its watches and pending outbox rows."""
        ...


class WatchRepo(Protocol):
    async def upsert_watch(self, watch: Watch) -> None: ...
    async def remove_watch(self, chat_id: int, symbol: str) -> bool: ...
    async def list_watches(self, chat_id: int) -> list[Watch]: ...
    async def list_watchers(self, symbol: str) -> list[tuple[Chat, Watch]]:
        """Active chats watching `symbol`, with their watch."""
        ...

    async def list_watchers_many(self, symbols: Iterable[str]) -> dict[str, list[tuple[Chat, Watch]]]:
        """`list_watchers` for many symbols at once; symbols nobody (active) watches are absent."""
        ...

    async def list_watcher_groups(self, symbols: Iterable[str]) -> dict[str, list[WatcherGroup]]:
        """`list_watchers_many` with the chats that watch a symbol alike grouped (the alert fan-out).
        The groups may be shared with later calls: read them, do not change them."""
        ...

    async def cache_watcher_groups(self) -> int:
        """Hold every active chat's watches in memory as `list_watcher_groups` groups them, unless
        what is held is current; `list_watcher_groups` then answers from memory while no chat or watch
        is written (one version read per call). Returns the number of watches held."""
        ...

    async def list_watched_symbols(self, interval: Interval | None = None) -> list[str]:
        """Every symbol at least one active chat watches (on the timeframe `interval`, if given;
        for the daily timeframe, every watched symbol: its daily bars are kept whatever the watch)."""
        ...


class EventRepo(Protocol):
    async def add_events(self, events: Sequence[SignalEvent]) -> list[SignalEvent]:
        """Store events; returns only the new ones (with ids). (symbol, interval, signal, ts) is unique."""
        ...

    async def list_events(
        self,
        symbol: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        *,
        interval: Interval | None = None,
    ) -> list[SignalEvent]:
        """Newest first; only events on `interval` bars when given."""
        ...

    async def events_after(self, event_id: int, limit: int = 1000) -> list[SignalEvent]:
        """Events stored after `event_id` (by id), oldest first."""
        ...


class OutboxRepo(Protocol):
    async def enqueue(self, messages: Sequence[OutboxMessage]) -> int:
        """Insert messages; a `dedup_key` already present is skipped. Returns the number inserted."""
        ...

    async def enqueue_fanouts(self, fanouts: Sequence[Fanout], messages: Sequence[OutboxMessage] = ()) -> int:
        """`enqueue` of `messages` and every fan-out's rows (`Fanout.messages()`) in one transaction,
        without a message object per row. Returns the number of deliveries enqueued (recipients
        already enqueued under a fan-out's key do not count). A fan-out may be stored as one row whose
        per-recipient rows `claim_pending` writes (`expand_fanouts`)."""
        ...

    async def expand_fanouts(self, rows: int | None = None) -> int:
        """Write the per-recipient rows of stored fan-outs (premium first): whole fan-outs until
        `rows` are out, or all. Rows inserted."""
        ...

    async def claim_pending(
        self, now: datetime, limit: int = 100, *, owner: str | None = None
    ) -> list[OutboxMessage]:
        """Pending messages whose not_before has passed and that no sender has in flight, premium
        chats' first, then oldest. With `owner`, claimed for it in the same transaction (in flight
        until marked); stored fan-outs are expanded first, a little ahead of what is claimed."""
        ...

    async def recover_claims(
        self,
        *,
        keep: str,
        claimed_before: datetime | None = None,
        owner_prefix: str | None = None,
        resend: bool = True,
    ) -> int:
        """Rows in flight for a sender other than `keep` that is gone: pending again (`resend`) or
        skipped. Returns how many."""
        ...

    async def count_in_flight(self) -> int: ...

    async def mark_sent(self, message_id: int, telegram_message_id: int | None, now: datetime) -> None: ...
    async def mark_retry(
        self, message_id: int, error: str, not_before: datetime, *, count: bool = True
    ) -> None: ...
    async def mark_sending(self, message_ids: Sequence[int], now: datetime) -> None: ...
    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], now: datetime) -> None: ...
    async def release(self, message_ids: Sequence[int]) -> None: ...
    async def mark_failed(self, message_id: int, error: str, *, skipped: bool = False) -> None: ...
    async def skip_chat(self, chat_id: int, reason: str) -> int:
        """Mark every pending message of a chat skipped (the chat blocked the bot)."""
        ...

    async def count_pending(self) -> int: ...
    async def existing_keys(self, keys: Sequence[str]) -> set[str]:
        """Those of `keys` already enqueued (as given, however long)."""
        ...


class NewsRepo(Protocol):
    async def add_news(self, items: Sequence[NewsItem]) -> list[NewsItem]:
        """Store items not yet known by url, guid or fingerprint; returns the new ones."""
        ...

    async def list_news(
        self, *, symbol: str | None = None, industry: str | None = None, limit: int = 10
    ) -> list[NewsItem]:
        """Newest first."""
        ...


class RatingRepo(Protocol):
    async def upsert_ratings(self, ratings: Sequence[Rating]) -> int: ...
    async def list_ratings(self, symbol: str) -> list[Rating]: ...
    async def get_rating(self, symbol: str, signal: SignalType, horizon: int) -> Rating | None: ...
    async def pick_ratings(
        self, pairs: Iterable[tuple[str, SignalType]], horizon: int
    ) -> dict[tuple[str, SignalType], Rating]:
        """Per (symbol, signal), its rating at `horizon` days, else at its shortest horizon
        (`bot.views.pick_rating`); pairs without any are absent. One read for thousands of pairs."""
        ...

    async def cache_ratings(self, horizon: int) -> int:
        """Hold every pair's `pick_ratings` pick at `horizon` in memory, unless what is held is
        current; `pick_ratings` at that horizon then answers from memory while no rating is written
        (one version read per call). Returns the number held."""
        ...


class CursorRepo(Protocol):
    async def get_cursor(self, symbol: str, source: str, interval: Interval) -> FetchCursor | None: ...
    async def set_cursor(self, cursor: FetchCursor) -> None: ...


class StateRepo(Protocol):
    """Small blobs (signal-engine state, feed ETags) and leases for scale-out."""

    async def get_state(self, key: str) -> bytes | None: ...
    async def put_state(self, key: str, value: bytes) -> None: ...
    async def try_lease(self, name: str, owner: str, now: datetime, ttl_s: float) -> bool:
        """Take or renew the lease `name` for `owner` if free, expired or already ours."""
        ...

    async def release_lease(self, name: str, owner: str) -> bool:
        """Give up `name` if `owner` holds it (clean shutdown): another process may take it at once."""
        ...


class HealthRepo(Protocol):
    async def record_job_run(self, run: JobRun) -> None: ...
    async def list_job_runs(self) -> list[JobRun]: ...
    async def upsert_source_health(self, health: SourceHealth) -> None: ...
    async def list_source_health(self) -> list[SourceHealth]: ...


class ApiKeyRepo(Protocol):
    """API keys of the Market Data API (issue 19), stored only as a hash of the secret."""

    async def add_key(self, name: str, prefix: str, key_hash: str, admin: bool, now: datetime) -> ApiKey:
        """Store a new key; raises `core.errors.StorageError` when `name` is taken."""
        ...

    async def get_by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash, revoked or not."""
        ...

    async def list_keys(self) -> list[ApiKey]: ...
    async def revoke_key(self, name: str, now: datetime) -> bool:
        """Revoke the active key called `name`; False when there is none."""
        ...


class InvestorFlowRepo(Protocol):
    """Daily net buying by investor group per KRX stock (issue 21)."""

    async def upsert_flows(self, flows: Sequence[InvestorFlow]) -> int:
        """Insert or replace by (symbol, day); returns rows written."""
        ...

    async def list_flows(self, symbol: str, *, limit: int = 20) -> list[InvestorFlow]:
        """The latest `limit` sessions of `symbol`, oldest first."""
        ...


class EtfHoldingRepo(Protocol):
    """Daily snapshots of ETF portfolios (issue 21)."""

    async def replace_holdings(self, etf: str, day: date, holdings: Sequence[EtfHolding]) -> None: ...
    async def list_snapshots(self, etf: str, *, count: int = 2) -> list[list[EtfHolding]]:
        """The latest `count` snapshots, newest first, each largest weight first."""
        ...


class UserAlertRepo(Protocol):
    """Chats' own alerts (issue 24)."""

    async def add_alert(self, alert: UserAlert, *, limit: int) -> UserAlert | None:
        """Store `alert` (with its id); None when the chat already has `limit` alerts. The same rule
        and level on the same symbol twice returns the stored one."""
        ...

    async def list_alerts(self, chat_id: int) -> list[UserAlert]: ...
    async def list_for_symbols(self, symbols: Iterable[str]) -> list[UserAlert]:
        """Every alert on one of `symbols`, of active chats."""
        ...

    async def list_symbols(self) -> list[str]:
        """The symbols with at least one alert of an active chat (their prices are kept fresh)."""
        ...

    async def delete_alert(self, chat_id: int, alert_id: int) -> bool: ...
    async def set_armed(self, changes: Sequence[tuple[int, bool]], now: datetime) -> None:
        """Arm (True) or disarm after firing (False, `fired_at` = now) alerts by id."""
        ...


class ListingRepo(Protocol):
    """The KRX listing as last refreshed (issue 21): one row per stock code."""

    async def upsert_listings(self, listings: Sequence[Listing]) -> int:
        """Insert or replace by code; returns rows written."""
        ...

    async def list_listings(self, *, status: ListingStatus | None = None) -> list[Listing]:
        """Every stock (or those with `status`), by code."""
        ...

    async def get_listing(self, code: str) -> Listing | None: ...
    async def find_listings(self, name: str) -> list[Listing]:
        """Stocks whose Korean or English name is `name` (case-insensitive), listed ones first."""
        ...


@dataclass(frozen=True, slots=True)
class Repositories:
    """Every repository, as wired by the composition root."""

    instruments: InstrumentRepo
    bars: BarRepo
    chats: ChatRepo
    watches: WatchRepo
    events: EventRepo
    outbox: OutboxRepo
    news: NewsRepo
    ratings: RatingRepo
    cursors: CursorRepo
    state: StateRepo
    health: HealthRepo
    apikeys: ApiKeyRepo
    flows: InvestorFlowRepo
    etfs: EtfHoldingRepo
    user_alerts: UserAlertRepo
    listings: ListingRepo


WEEKLY_SLOT = "weekly"  # the briefing slot of the week's summary (daily slots are 'HH:MM' in KST)


class Briefer(Protocol):
    """Builds the premium briefing for a slot (e.g. '08:00') and enqueues it; returns messages enqueued."""

    async def send_briefing(self, slot: str) -> int: ...


# --------------------------------------------------------------------------------------------
# Live events (issue 19): quotes and signal events for the API's stream
# --------------------------------------------------------------------------------------------


class EventBus(Protocol):
    """Publish/subscribe of live updates by topic (e.g. 'quote:AAPL', 'signal:AAPL'). The embedded
    default is in-process (`market.bus.LocalEventBus`); a Redis adapter can replace it for scale-out."""

    def publish(self, topic: str, message: dict[str, object]) -> None:
        """Hand `message` to every subscriber of `topic`; never blocks on a slow subscriber."""
        ...

    def subscribe(self, topics: Iterable[str], deliver: Callable[[str, dict[str, object]], None]) -> int:
        """Call `deliver(topic, message)` for each message on `topics`; returns a subscription id."""
        ...

    def unsubscribe(self, subscription: int) -> None: ...


# --------------------------------------------------------------------------------------------
# Questions in plain words (issue 23): guarded SELECTs on a read-only connection
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Rows of a read-only query. Values are None, int, float, str or aware UTC datetime.

    `truncated` is True when the query had more than `max_rows` rows (the rest were not read).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    truncated: bool = False


class ReadOnlyQueries(Protocol):
    """Runs one already-guarded SELECT on a read-only connection with a time limit.

    Raises `QueryTimeoutError` when the time limit is hit and `QueryRefusedError` when the database
    itself refuses (a write on the read-only connection, a denied function): the caller tells the user.
    """

    async def run(self, sql: str, *, max_rows: int) -> QueryResult: ...

    async def close(self) -> None: ...
