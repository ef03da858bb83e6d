"""Domain types shared by every package: frozen dataclasses and StrEnums, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Interval(StrEnum):
    """Bar intervals. Daily is the default; the engine treats every interval alike."""

    D1 = "1d"
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"


class Market(StrEnum):
    """Where an instrument trades; decides the session calendar and time zone."""

    US = "us"  # NYSE/Nasdaq equities and ETFs
    XETRA = "xetra"  # Deutsche Boerse Xetra (FCO2.DE, .DE equities)
    KRX = "krx"  # Korea Exchange equities (KOSPI .KS / KOSDAQ .KQ)
    KETS = "kets"  # KRX emissions market (KAU / KCU / KOC)
    EEX = "eex"  # EEX primary auctions (EUA-AUCTION)
    OTHER = "other"  # anything else yfinance knows


class SignalType(StrEnum):
    """The signal families. Values are stable: they are stored and shown."""

    BREAKOUT_200 = "breakout_200"
    BREAKDOWN_200 = "breakdown_200"
    GOLDEN_CROSS = "golden_cross"
    DEATH_CROSS = "death_cross"
    RSI_OVERBOUGHT = "rsi_overbought"
    RSI_OVERSOLD = "rsi_oversold"
    VOLUME_SPIKE = "volume_spike"
    BB_UPPER_BREAK = "bb_upper_break"
    BB_LOWER_BREAK = "bb_lower_break"
    BB_SQUEEZE_BREAKOUT = "bb_squeeze_breakout"
    HIGH_52W = "high_52w"
    LOW_52W = "low_52w"
    HEAD_AND_SHOULDERS = "head_and_shoulders"
    INVERSE_HEAD_AND_SHOULDERS = "inverse_head_and_shoulders"
    DOUBLE_TOP = "double_top"
    DOUBLE_BOTTOM = "double_bottom"
    # Investor-flow signals (issue 21): computed from the stored daily net buying of KRX stocks.
    FOREIGN_BUY_STREAK = "foreign_buy_streak"
    SMART_MONEY_BUY = "smart_money_buy"

    @property
    def direction(self) -> int:
        """+1 bullish, -1 bearish, 0 neutral (a volume spike says nothing about direction)."""
        return _DIRECTION[self]

    @property
    def opposite(self) -> SignalType | None:
        """The signal that undoes this one (used by the strategy view's exit)."""
        return _OPPOSITE.get(self)


_DIRECTION = {
    SignalType.BREAKOUT_200: 1,
    SignalType.BREAKDOWN_200: -1,
    SignalType.GOLDEN_CROSS: 1,
    SignalType.DEATH_CROSS: -1,
    # RSI overbought/oversold are read as mean-reversion signals: overbought expects a fall.
    SignalType.RSI_OVERBOUGHT: -1,
    SignalType.RSI_OVERSOLD: 1,
    SignalType.VOLUME_SPIKE: 0,
    SignalType.BB_UPPER_BREAK: 1,  # read as momentum, like a breakout
    SignalType.BB_LOWER_BREAK: -1,
    SignalType.BB_SQUEEZE_BREAKOUT: 0,  # either side: the event's strength carries the sign
    SignalType.HIGH_52W: 1,
    SignalType.LOW_52W: -1,
    SignalType.HEAD_AND_SHOULDERS: -1,
    SignalType.INVERSE_HEAD_AND_SHOULDERS: 1,
    SignalType.DOUBLE_TOP: -1,
    SignalType.DOUBLE_BOTTOM: 1,
    SignalType.FOREIGN_BUY_STREAK: 1,
    SignalType.SMART_MONEY_BUY: 1,
}
_BY_VALUE = {s.value: s for s in SignalType}
_OPPOSITE = {
    SignalType.BREAKOUT_200: SignalType.BREAKDOWN_200,
    SignalType.BREAKDOWN_200: SignalType.BREAKOUT_200,
    SignalType.GOLDEN_CROSS: SignalType.DEATH_CROSS,
    SignalType.DEATH_CROSS: SignalType.GOLDEN_CROSS,
    SignalType.RSI_OVERBOUGHT: SignalType.RSI_OVERSOLD,
    SignalType.RSI_OVERSOLD: SignalType.RSI_OVERBOUGHT,
    SignalType.BB_UPPER_BREAK: SignalType.BB_LOWER_BREAK,
    SignalType.BB_LOWER_BREAK: SignalType.BB_UPPER_BREAK,
    SignalType.HIGH_52W: SignalType.LOW_52W,
    SignalType.LOW_52W: SignalType.HIGH_52W,
    SignalType.HEAD_AND_SHOULDERS: SignalType.INVERSE_HEAD_AND_SHOULDERS,
    SignalType.INVERSE_HEAD_AND_SHOULDERS: SignalType.HEAD_AND_SHOULDERS,
    SignalType.DOUBLE_TOP: SignalType.DOUBLE_BOTTOM,
    SignalType.DOUBLE_BOTTOM: SignalType.DOUBLE_TOP,
}

ALL_SIGNALS: frozenset[SignalType] = frozenset(SignalType)
FLOW_SIGNALS: tuple[SignalType, ...] = (SignalType.FOREIGN_BUY_STREAK, SignalType.SMART_MONEY_BUY)
# every signal computed from bars (the engine's kernels: moving averages, RSI, volume, then Bollinger,
# 52-week and patterns); the flow signals come from investor flows instead
PRICE_SIGNALS: tuple[SignalType, ...] = tuple(s for s in SignalType if s not in FLOW_SIGNALS)

COMBO_PREFIX = "combo:"


def combo_name(first: SignalType, second: SignalType) -> str:
    """`combo:A+B` (the caller orders A and B; `signals.combos.Combo` keeps registry order)."""
    return f"{COMBO_PREFIX}{first.value}+{second.value}"


def split_combo(name: str) -> tuple[SignalType, SignalType] | None:
    """`combo:A+B` -> (A, B); None when `name` is not a combination of known signal types."""
    if not name.startswith(COMBO_PREFIX):
        return None
    parts = name.removeprefix(COMBO_PREFIX).split("+")
    if len(parts) != 2 or not all(p in _BY_VALUE for p in parts):
        return None
    return _BY_VALUE[parts[0]], _BY_VALUE[parts[1]]


@dataclass(frozen=True, slots=True)
class Instrument:
    """A canonical instrument. `symbol` is the key everywhere (e.g. 'FCO2.DE', 'KAU25', '005930.KS').

    `sources` is the fallback route in order (e.g. ('yahoo', 'alphavantage')).
    """

    symbol: str
    name: str
    market: Market
    currency: str
    timezone: str
    sources: tuple[str, ...] = ()
    # per-source ticker where it differs, e.g. {"alphavantage": "FCO2.DEX"}
    source_symbols: Mapping[str, str] = field(default_factory=dict)
    active: bool = True


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar. `ts` is the bar's open time, aware UTC; daily bars use 00:00 UTC of the trading date.

    Prices are raw (as traded). `adj_factor` multiplies raw prices into split/dividend-adjusted ones;
    indicators use adjusted prices. `flags` carries validation notes (e.g. 'outlier') for kept rows.
    """

    symbol: str
    interval: Interval
    ts: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    adj_factor: float = 1.0
    source: str = ""
    flags: str = ""

    @property
    def adj_close(self) -> float:
        return self.close * self.adj_factor


@dataclass(frozen=True, slots=True)
class Quote:
    """The latest known price of an instrument, with what `/price` shows around it."""

    symbol: str
    price: float
    ts: datetime
    source: str
    prev_close: float | None = None
    day_high: float | None = None
    day_low: float | None = None
    volume: float | None = None
    high_52w: float | None = None
    low_52w: float | None = None
    sma200: float | None = None
    rsi14: float | None = None

    @property
    def change(self) -> float | None:
        return None if self.prev_close is None else self.price - self.prev_close

    @property
    def change_pct(self) -> float | None:
        if self.prev_close in (None, 0):
            return None
        assert self.prev_close is not None
        return (self.price / self.prev_close - 1.0) * 100.0


@dataclass(frozen=True, slots=True)
class InvestorFlow:
    """One session's net buying of a KRX stock by investor group (buys minus sells).

    Quantities in shares, values in KRW; positive means the group bought more than it sold."""

    symbol: str
    day: date
    close: float | None
    individual_qty: float
    foreign_qty: float
    institution_qty: float
    individual_value: float
    foreign_value: float
    institution_value: float
    source: str = ""


class ListingStatus(StrEnum):
    """Where a KRX stock stands on the exchange's listing (issue 21)."""

    LISTED = "listed"
    HALTED = "halted"  # trading suspended: no signals until it resumes
    DELISTED = "delisted"


@dataclass(frozen=True, slots=True)
class Listing:
    """One KRX stock on the exchange's listing: `code` is the 6-character short code ('005930').

    `since` is the day the status began (first seen listed, halted, or the delisting day)."""

    code: str
    name: str
    market: str  # KOSPI / KOSDAQ / KONEX
    status: ListingStatus
    since: date
    name_en: str = ""
    reason: str = ""  # why delisted, as KRX words it


@dataclass(frozen=True, slots=True)
class EtfHolding:
    """One constituent of an ETF's portfolio on a day: `weight` in % of the fund, `value` in KRW."""

    etf: str
    day: date
    code: str
    name: str
    weight: float
    value: float | None = None


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """A signal fired on a confirmed bar. Unique per (symbol, interval, signal, ts).

    `values` holds the indicator values behind it (e.g. {'sma50': .., 'sma200': .., 'rsi14': ..});
    `strength` is the signal's own figure: % distance from the SMA, the volume multiple, or the RSI level.
    """

    symbol: str
    signal: SignalType
    interval: Interval
    ts: datetime
    close: float
    values: Mapping[str, float]
    strength: float
    id: int | None = None
    pair: SignalType | None = None  # set on a combination event: `signal` + `pair` (registry order)

    @property
    def name(self) -> str:
        """What is stored and matched: the signal type, or `combo:A+B` for a combination."""
        return str(self.signal) if self.pair is None else combo_name(self.signal, self.pair)

    @property
    def direction(self) -> int:
        return self.signal.direction or (self.pair.direction if self.pair is not None else 0)

    @property
    def key(self) -> str:
        return f"{self.symbol}|{self.interval}|{self.name}|{self.ts.isoformat()}"


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"
    CONSOLE = "console"


class Tier(StrEnum):
    FREE = "free"
    PREMIUM = "premium"


class Language(StrEnum):
    KO = "ko"
    EN = "en"


class QuietMode(StrEnum):
    """What happens to alerts inside a chat's quiet hours."""

    HOLD = "hold"  # delivered when quiet hours end
    DROP = "drop"  # not delivered


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat the bot talks to. `quiet_start`/`quiet_end` are local hours (0-23) in `timezone`."""

    chat_id: int
    kind: ChatKind
    title: str = ""
    tier: Tier = Tier.FREE
    language: Language = Language.EN
    timezone: str = "Asia/Seoul"
    active: bool = True
    silent: bool = False
    quiet_start: int | None = None
    quiet_end: int | None = None
    quiet_mode: QuietMode = QuietMode.HOLD
    signals: frozenset[SignalType] = ALL_SIGNALS  # chat-wide enabled signal types
    news_alerts: bool = False


@dataclass(frozen=True, slots=True)
class Watch:
    """A chat watching an instrument for a set of signal types (`muted` ones are skipped), on the
    timeframes in `intervals` (daily bars unless the chat asked for 1m/5m/15m)."""

    chat_id: int
    symbol: str
    signals: frozenset[SignalType] = ALL_SIGNALS
    muted: frozenset[SignalType] = frozenset()
    intervals: frozenset[Interval] = frozenset({Interval.D1})
    combos: frozenset[str] = frozenset()  # watched combinations, `combo:A+B` (stored with the signals)

    def wants(self, signal: SignalType, interval: Interval = Interval.D1) -> bool:
        return signal in self.signals and signal not in self.muted and interval in self.intervals

    def wants_event(self, event: SignalEvent) -> bool:
        """Combinations (daily only) by name; single signals by type and timeframe."""
        return (
            event.name in self.combos if event.pair is not None else self.wants(event.signal, event.interval)
        )


@dataclass(frozen=True, slots=True)
class WatcherGroup:
    """Chats watching one instrument the same way (chat settings and watch alike but for the chat's id
    and title): the alert fan-out decides once per group, not once per chat. `chat` and `watch` are
    the first member's; `chat_ids` in ascending order."""

    chat: Chat
    watch: Watch
    chat_ids: list[int]


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after max attempts
    SKIPPED = "skipped"  # chat inactive, or dropped by quiet hours


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message to one chat, rendered when enqueued. `dedup_key` is unique: a message is enqueued once."""

    chat_id: int
    dedup_key: str
    text: str
    kind: str = "alert"  # alert | briefing | broadcast | news
    event_id: int | None = None
    silent: bool = False
    reply_markup: Mapping[str, Any] | None = None  # Bot API JSON of an InlineKeyboardMarkup
    photo: bytes | None = None
    thread_id: int | None = None
    not_before: datetime | None = None
    premium: bool = False  # a premium chat's: claimed first under a backlog; paid broadcast if enabled
    id: int | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_error: str = ""
    message_id: int | None = None


# (chat_id, version, silent, not_before, premium): `version` indexes the fan-out's texts and markups
Recipient = tuple[int, int, bool, datetime | None, bool]


@dataclass(frozen=True, slots=True)
class Fanout:
    """One alert rendered once per version (language) and sent to many chats: outbox rows that differ
    only in their recipient, each keyed `{key}:{chat_id}`. The alert fan-out writes these instead of
    one `OutboxMessage` per chat (tens of thousands at a bar close); `messages()` gives the same rows."""

    key: str
    texts: tuple[str, ...]
    markups: tuple[Mapping[str, Any] | None, ...]
    recipients: list[Recipient]
    event_id: int | None = None
    kind: str = "alert"
    status: DeliveryStatus = DeliveryStatus.PENDING  # SKIPPED: rows that only record a fold (digests)
    note: str = ""  # the rows' last_error

    def messages(self) -> list[OutboxMessage]:
        texts, markups, key = self.texts, self.markups, self.key
        return [
            OutboxMessage(
                chat_id=cid,
                dedup_key=f"{key}:{cid}",
                text=texts[v],
                kind=self.kind,
                event_id=self.event_id,
                silent=silent,
                reply_markup=markups[v],
                not_before=hold,
                premium=premium,
                status=self.status,
                last_error=self.note,
            )
            for cid, v, silent, hold, premium in self.recipients
        ]


@dataclass(frozen=True, slots=True)
class NewsItem:
    """A normalised headline. `url` is canonical (tracking parameters stripped) and unique."""

    url: str
    title: str
    source: str
    published: datetime
    summary: str = ""
    language: str = "en"
    guid: str = ""
    fingerprint: str = ""
    symbols: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    kind: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Rating:
    """The backtest statistics and grade of one (symbol, signal, horizon). Returns are fractions."""

    symbol: str
    signal: SignalType
    horizon: int
    count: int
    hit_rate: float | None
    mean_return: float | None
    median_return: float | None
    baseline_mean: float | None
    excess: float | None
    t_stat: float | None
    worst_mae: float | None
    grade: str  # 'A'..'F' or 'insufficient data'
    period_start: datetime
    period_end: datetime
    excluded: int = 0  # occurrences whose forward window ran past the data
    params: Mapping[str, Any] = field(default_factory=dict)
    run_at: datetime | None = None
    sd_return: float | None = None  # standard deviation (ddof 1) of the events' adjusted returns
    median_drawdown: float | None = None  # median max drawdown within the holding period (<= 0)
    worst_drawdown: float | None = None  # worst max drawdown within the holding period (<= 0)
    return_risk: float | None = None  # mean_return / |median_drawdown|

    @property
    def history_years(self) -> float:
        """Years of history the rating rests on (its study period; as of `period_end`)."""
        return (self.period_end - self.period_start).days / 365.25


@dataclass(frozen=True, slots=True)
class FetchCursor:
    """Where fetching resumes for one (symbol, source, interval): the last stored bar's timestamp."""

    symbol: str
    source: str
    interval: Interval
    last_ts: datetime
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class JobRun:
    """The last run of a scheduled job, for `status`."""

    job: str
    started_at: datetime
    duration_s: float
    outcome: str  # ok | error | skipped
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A data source's health, for `status`."""

    source: str
    breaker: str  # closed | open | half_open
    successes: int
    failures: int
    last_latency_ms: float | None
    last_error: str = ""
    updated_at: datetime | None = None


# --- issue 19: API keys -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored: only a hash of the secret is kept; `prefix` (its first characters) names it."""

    name: str
    prefix: str
    admin: bool
    created_at: datetime
    revoked_at: datetime | None = None
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AlertRule(StrEnum):
    """What a chat's own alert (issue 24) watches: a price level, a daily move, an RSI level."""

    ABOVE = "above"  # price at or above the level
    BELOW = "below"  # price at or below the level
    MOVE = "move"  # the day's move against the previous close at least `level` percent, either way
    RSI_ABOVE = "rsi_above"  # RSI 14 of the daily closes at or above the level
    RSI_BELOW = "rsi_below"


@dataclass(frozen=True, slots=True)
class UserAlert:
    """One alert set by a chat (`/alert`). `armed`: fires at the next crossing; a fired alert is
    re-armed once the value moves back past the level by the re-arm margin."""

    chat_id: int
    symbol: str
    rule: AlertRule
    level: float
    armed: bool = True
    created_at: datetime | None = None
    fired_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AlertHit:
    """A user alert that fired on one bar (daily close or intraday minute): the bar's time and close,
    and the value compared with the level (price, move in percent, or RSI)."""

    alert: UserAlert
    ts: datetime
    interval: Interval
    close: float
    value: float

    @property
    def key(self) -> str:
        return f"ualert:{self.alert.id}:{self.ts.isoformat()}"
