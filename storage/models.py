"""ORM models: one class per table. Only `storage` sees them; repositories map them to `core.types`.

Bars, events, ratings and cursors are keyed by the instrument's canonical symbol (the key everywhere
in finsignal), so history can be loaded before an instrument is registered.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.sqltypes import (
    BigIntPK,
    Blob,
    JSONText,
    StrList,
    UTCDateTime,
    factor_type,
    price_type,
    volume_type,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SYMBOL = 32  # length of symbol columns
KEY = 191  # longest utf8mb4 VARCHAR that fits the smallest InnoDB index prefix (767 bytes)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSONText()}


class InstrumentRow(Base):
    __tablename__ = "instruments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(SYMBOL), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    market: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    sources: Mapped[tuple[str, ...]] = mapped_column(StrList(), default=())
    source_symbols: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]


class BarRow(Base):
    """One bar, raw prices; `adj_factor` turns them into adjusted ones."""

    __tablename__ = "bars"

    symbol: Mapped[str] = mapped_column(String(SYMBOL), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    ts: Mapped[datetime] = mapped_column(primary_key=True)
    open: Mapped[float] = mapped_column(price_type())
    high: Mapped[float] = mapped_column(price_type())
    low: Mapped[float] = mapped_column(price_type())
    close: Mapped[float] = mapped_column(price_type())
    volume: Mapped[float] = mapped_column(volume_type())
    adj_factor: Mapped[float] = mapped_column(factor_type(), default=1.0)
    source: Mapped[str] = mapped_column(String(32), default="")
    flags: Mapped[str] = mapped_column(String(64), default="")


class ChatRow(Base):
    __tablename__ = "chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255), default="")
    tier: Mapped[str] = mapped_column(String(16), default="free")
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    quiet_mode: Mapped[str] = mapped_column(String(8), default="hold")
    signals: Mapped[tuple[str, ...]] = mapped_column(StrList())
    news_alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WatchRow(Base):
    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("chat_id", "symbol"), Index(None, "symbol"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(SYMBOL))
    signals: Mapped[tuple[str, ...]] = mapped_column(StrList())
    muted: Mapped[tuple[str, ...]] = mapped_column(StrList())
    intervals: Mapped[tuple[str, ...]] = mapped_column(StrList(), default=("1d",))
    created_at: Mapped[datetime]


class UserAlertRow(Base):
    """A chat's own alert (issue 24): a price level, a daily move or an RSI level on one symbol."""

    __tablename__ = "user_alerts"
    __table_args__ = (UniqueConstraint("chat_id", "symbol", "rule", "level"), Index(None, "symbol"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(SYMBOL))
    rule: Mapped[str] = mapped_column(String(16))
    level: Mapped[float] = mapped_column(price_type())
    armed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]


class SignalEventRow(Base):
    __tablename__ = "signal_events"
    __table_args__ = (UniqueConstraint("symbol", "interval", "signal", "ts"), Index(None, "ts"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(SYMBOL))
    interval: Mapped[str] = mapped_column(String(8))
    signal: Mapped[str] = mapped_column(String(64))  # a type, or combo:A+B (i24d)
    ts: Mapped[datetime]
    close: Mapped[float] = mapped_column(price_type())
    strength: Mapped[float] = mapped_column(Double)
    values: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class OutboxRow(Base):
    """An alert delivery: one message to one chat (chat_id is not a foreign key: channels too)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "status", "not_before"),
        Index(None, "chat_id", "status"),
        Index(None, "claimed_by"),
        Index("ix_outbox_status_premium_id", "status", "premium", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(KEY), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16), default="alert")
    text: Mapped[str] = mapped_column(Text)
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_markup: Mapped[dict[str, Any] | None]
    photo: Mapped[bytes | None] = mapped_column(Blob)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    not_before: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    event_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("signal_events.id", ondelete="SET NULL")
    )
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # pending + claimed = in flight
    claimed_at: Mapped[datetime | None]
    premium: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # claimed first
    sending_at: Mapped[datetime | None]  # the send started: after a crash, in flight (resend or skip)


class OutboxFanoutRow(Base):
    """One alert rendered once per language for many chats (issue 25): the outbox rows it stands for,
    one per recipient (`{key}:{chat_id}`), are written when a sender's claim expands it (`expanded_by`),
    fan-outs with premium recipients first. Kept after that as the ledger of the (key, chat) pairs it
    held, so a fan-out is enqueued once however often its close is published."""

    __tablename__ = "outbox_fanouts"
    __table_args__ = (Index(None, "key"), Index("ix_outbox_fanouts_pending", "expanded_by", "premium", "id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(KEY))
    kind: Mapped[str] = mapped_column(String(16), default="alert")
    event_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("signal_events.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")  # of every row it expands to
    note: Mapped[str] = mapped_column(Text, default="")  # the rows' last_error
    texts: Mapped[Any] = mapped_column(JSONText)  # one per version (language)
    markups: Mapped[Any] = mapped_column(JSONText)  # one per version, or null
    recipients: Mapped[Any] = mapped_column(JSONText)  # [[chat_id, version, silent, premium, not_before]]
    size: Mapped[int] = mapped_column(Integer)  # len(recipients)
    premium: Mapped[bool] = mapped_column(Boolean, default=False)  # any premium recipient: expanded first
    created_at: Mapped[datetime]
    expanded_by: Mapped[str | None] = mapped_column(String(64))  # the claim that wrote its rows


class NewsRow(Base):
    """A headline. Uniqueness is on the SHA-256 of the URL (URLs outgrow MySQL's index limits)."""

    __tablename__ = "news_items"
    __table_args__ = (Index(None, "guid_hash"), Index(None, "fingerprint"), Index(None, "published"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    guid: Mapped[str] = mapped_column(Text, default="")
    guid_hash: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(KEY))
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    symbols: Mapped[tuple[str, ...]] = mapped_column(StrList())
    industries: Mapped[tuple[str, ...]] = mapped_column(StrList())
    kind: Mapped[str] = mapped_column(String(32), default="")
    published: Mapped[datetime]
    created_at: Mapped[datetime]


class RatingRow(Base):
    """Backtest statistics and grade of one (symbol, signal, horizon)."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("symbol", "signal", "horizon"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(SYMBOL))
    signal: Mapped[str] = mapped_column(String(32))
    horizon: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    hit_rate: Mapped[float | None] = mapped_column(Double)
    mean_return: Mapped[float | None] = mapped_column(Double)
    median_return: Mapped[float | None] = mapped_column(Double)
    baseline_mean: Mapped[float | None] = mapped_column(Double)
    excess: Mapped[float | None] = mapped_column(Double)
    t_stat: Mapped[float | None] = mapped_column(Double)
    worst_mae: Mapped[float | None] = mapped_column(Double)
    sd_return: Mapped[float | None] = mapped_column(Double)
    median_drawdown: Mapped[float | None] = mapped_column(Double)
    worst_drawdown: Mapped[float | None] = mapped_column(Double)
    return_risk: Mapped[float | None] = mapped_column(Double)
    grade: Mapped[str] = mapped_column(String(32))
    excluded: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict[str, Any]]
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    run_at: Mapped[datetime]


class FetchCursorRow(Base):
    __tablename__ = "fetch_cursors"

    symbol: Mapped[str] = mapped_column(String(SYMBOL), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_ts: Mapped[datetime]
    updated_at: Mapped[datetime]


class StateRow(Base):
    __tablename__ = "state_blobs"

    key: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    value: Mapped[bytes] = mapped_column(Blob)
    updated_at: Mapped[datetime]


class DataVersionRow(Base):
    """A counter per kind of reference data (watchers, instruments, ratings), raised in the same
    transaction as every write to it: a process that keeps such data in memory between bar closes
    knows, by one read, whether what it holds is still what the database holds."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class LeaseRow(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    owner: Mapped[str] = mapped_column(String(KEY))
    expires_at: Mapped[datetime]


class JobRunRow(Base):
    """The last run of each scheduled job."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    started_at: Mapped[datetime]
    duration_s: Mapped[float] = mapped_column(Double)
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")


class SourceHealthRow(Base):
    __tablename__ = "source_health"

    source: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    breaker: Mapped[str] = mapped_column(String(16))
    successes: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_latency_ms: Mapped[float | None] = mapped_column(Double)
    last_error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]


class ApiKeyRow(Base):
    """An API key of the Market Data API (issue 19): the SHA-256 of the secret, never the secret."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class InvestorFlowRow(Base):
    """Daily net buying of a KRX stock by investor group (issue 21): shares and KRW, buys minus sells."""

    __tablename__ = "investor_flows"

    symbol: Mapped[str] = mapped_column(String(SYMBOL), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    close: Mapped[float | None] = mapped_column(price_type(), nullable=True)
    individual_qty: Mapped[float] = mapped_column(volume_type())
    foreign_qty: Mapped[float] = mapped_column(volume_type())
    institution_qty: Mapped[float] = mapped_column(volume_type())
    individual_value: Mapped[float] = mapped_column(volume_type())
    foreign_value: Mapped[float] = mapped_column(volume_type())
    institution_value: Mapped[float] = mapped_column(volume_type())
    source: Mapped[str] = mapped_column(String(32), default="")


class EtfHoldingRow(Base):
    """One constituent of a Korean ETF on a day (issue 21): weight in % of the fund, value in KRW."""

    __tablename__ = "etf_holdings"

    etf: Mapped[str] = mapped_column(String(SYMBOL), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    code: Mapped[str] = mapped_column(String(SYMBOL), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    weight: Mapped[float] = mapped_column(factor_type())
    value: Mapped[float | None] = mapped_column(volume_type(), nullable=True)


class ListingRow(Base):
    """A KRX stock on the exchange's listing (issue 21): listed, halted or delisted since a day."""

    __tablename__ = "krx_listings"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    market: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    since: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(255), default="")
