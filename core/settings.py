"""Settings from the environment and `.env` (prefix ``FINSIGNAL_``), validated once at start-up.

Every field here is documented in `.env.example` and the README (a test keeps them in sync).
Secrets are `SecretStr`: their repr is '**********' and they are only unwrapped where they are sent.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import ConfigError

IntList = Annotated[list[int], NoDecode]
StrList = Annotated[list[str], NoDecode]
DateList = Annotated[list[date], NoDecode]


def _split(value: object) -> object:
    """Comma-separated lists from the environment: '1,2, 3' -> ['1', '2', '3']."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


_AGE = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$")
_AGE_DAYS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}


def parse_age(text: str) -> timedelta:
    """'400d', '8w', '18m' (months), '2y' -> a timedelta; ValueError with the accepted forms otherwise."""
    match = _AGE.match(text.lower())
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(f"expected an age like 400d, 8w, 18m or 2y, got {text!r}")
    return timedelta(days=int(match.group(1)) * _AGE_DAYS[match.group(2)])


class Settings(BaseSettings):
    """All of finsignal's configuration. Field name X is read from FINSIGNAL_X."""

    model_config = SettingsConfigDict(
        env_prefix="FINSIGNAL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage ---------------------------------------------------------------------------
    database_url: str = "sqlite+aiosqlite:///var/finsignal.db"
    database_echo: bool = False

    # --- telegram --------------------------------------------------------------------------
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    admin_ids: IntList = Field(default_factory=list)
    premium_channel_id: int | None = None
    premium_topic_id: int | None = None
    briefing_times: StrList = Field(default_factory=lambda: ["08:00", "06:30"])  # KST, HH:MM
    watchlist_limit_free: int = Field(default=10, ge=1)
    watchlist_limit_premium: int = Field(default=50, ge=1)
    user_alerts_per_chat: int = Field(default=20, ge=1)  # issue 24: /alert
    user_alert_rearm_pct: float = Field(default=0.5, ge=0, le=50)  # price back by this % of the level
    user_alert_rearm_move_points: float = Field(default=0.5, ge=0, le=50)  # move back under N - this
    user_alert_rearm_rsi_points: float = Field(default=2.0, ge=0, le=50)  # RSI back by this many points
    alert_delivery: Literal["digest", "single"] = "digest"  # several alerts of one close: one message
    command_rate_per_minute: int = Field(default=20, ge=1)
    send_rate_per_second: float = Field(default=30.0, gt=0)
    default_language: Literal["ko", "en"] = "en"

    # --- market data sources: base URLs (point them at loopback in tests) -------------------
    yahoo_base_url: str = "https://query2.finance.yahoo.com"
    krx_base_url: str = "https://data-dbg.krx.co.kr"
    alphavantage_base_url: str = "https://www.alphavantage.co"
    eex_base_url: str = "https://public.eex-group.com"
    krx_auth_key: SecretStr | None = None
    alphavantage_key: SecretStr | None = None
    http_timeout_s: float = Field(default=15.0, gt=0)
    eex_timeout_s: float = Field(default=120.0, gt=0)
    # rate limits: requests per second, and per day where a source has a daily budget
    yahoo_rate_per_s: float = Field(default=2.0, gt=0)
    krx_rate_per_s: float = Field(default=2.0, gt=0)
    alphavantage_rate_per_s: float = Field(default=1.0, gt=0)
    alphavantage_daily_budget: int = Field(default=25, ge=0)
    eex_rate_per_s: float = Field(default=0.2, gt=0)
    breaker_failures: int = Field(default=5, ge=1)
    breaker_reset_s: float = Field(default=300.0, gt=0)
    outlier_pct: float = Field(default=50.0, gt=0)  # unused since core.quality (kept for old .env files)
    max_gap_days: int = Field(default=45, ge=5)  # calendar days between bars that restart indicator warm-up
    quote_max_age_s: float = Field(default=300.0, gt=0)
    market_retry_attempts: int = Field(default=3, ge=1)  # attempts per call on transient errors
    market_retry_base_s: float = Field(default=0.5, gt=0)  # first backoff (exponential, with jitter)
    market_retry_max_s: float = Field(default=8.0, gt=0)  # longest single backoff
    market_source_concurrency: int = Field(default=8, ge=1)  # requests in flight per source
    market_batch_concurrency: int = Field(default=64, ge=1)  # instruments processed at once per batch
    market_initial_days: int = Field(default=400, ge=1)  # first update of an instrument with no history

    # --- fund-flow tracker (issue #22): base URLs, keys, rate limits ---------------------------
    fred_base_url: str = "https://api.stlouisfed.org"
    fred_key: SecretStr | None = None
    ecb_base_url: str = "https://data-api.ecb.europa.eu"
    binance_base_url: str = "https://data-api.binance.vision"
    oilprice_base_url: str = "https://api.oilpriceapi.com"
    oilprice_key: SecretStr | None = None
    kis_base_url: str = "https://openapi.koreainvestment.com:9443"  # a paper account uses the paper server
    kis_app_key: SecretStr | None = None
    kis_app_secret: SecretStr | None = None
    kis_account_type: Literal["real", "paper"] = "real"
    kis_rate_per_s: float | None = Field(default=None, gt=0)  # default: 19/s real, 2/s paper (KIS's limits)
    kis_token_min_gap_s: float = Field(default=61.0, ge=0)  # KIS issues at most one token a minute
    kis_etfs: str = "069500,102110,400570,400580"  # ETFs whose holdings are kept daily (comma-separated)
    fred_rate_per_s: float = Field(default=2.0, gt=0)  # FRED moved to about 2 req/s
    ecb_rate_per_s: float = Field(default=1.0, gt=0)  # no published limit: be polite
    binance_rate_per_s: float = Field(default=5.0, gt=0)  # klines weight 2 of 6,000/min
    oilprice_rate_per_s: float = Field(default=0.5, gt=0)  # free tier unconfirmed
    fundflow_dir: Path = Path("var/fundflow")  # Parquet datasets, resume tracker, log, reports
    fundflow_years: int = Field(default=10, ge=1, le=30)  # history the monthly collection keeps
    fundflow_collect_time: str = "02:00"  # UTC on the 1st: the scheduler collects the month just ended
    fundflow_pace: float = Field(default=0.95, gt=0, le=1)  # pace at this share of each source's limit
    fundflow_briefing_days: int = Field(default=3, ge=0, le=28)  # premium briefing flows section, 1st-Nth

    # --- news --------------------------------------------------------------------------------
    yahoo_rss_base_url: str = "https://feeds.finance.yahoo.com"
    investing_base_url: str = "https://www.investing.com"
    news_feeds: StrList = Field(default_factory=list)  # extra RSS/Atom URLs
    news_min_interval_s: float = Field(default=300.0, ge=300.0)
    news_max_bytes: int = Field(default=2_000_000, gt=0)
    news_timeout_s: float = Field(default=10.0, gt=0)  # per feed request, connect to last byte
    # Investing.com rss/news_{N}.rss: 25 stocks, 11 commodities & futures, 14 economy
    news_investing_categories: IntList = Field(default_factory=lambda: [25, 11, 14])
    news_alerts_per_hour: int = Field(default=3, ge=1)  # per chat, rolling hour (bot.news_alerts)

    # --- signals & backtests ------------------------------------------------------------------
    sma_fast: int = Field(default=50, ge=2, le=16_383)  # le: signals.config.MAX_WINDOW
    sma_slow: int = Field(default=200, ge=2, le=16_383)  # le: signals.config.MAX_WINDOW
    rsi_period: int = Field(default=14, ge=2, le=16_383)  # le: signals.config.MAX_WINDOW
    rsi_overbought: float = Field(default=70.0, gt=0, lt=100)
    rsi_oversold: float = Field(default=30.0, gt=0, lt=100)
    volume_window: int = Field(default=20, ge=2, le=16_383)  # le: signals.config.MAX_WINDOW
    volume_multiple: float = Field(default=2.0, gt=0)
    bb_period: int = Field(default=20, ge=2, le=16_383)  # le: signals.config.MAX_WINDOW
    bb_stddev: float = Field(default=2.0, gt=0)
    bb_squeeze_window: int = Field(default=125, ge=2, le=16_383)
    bb_squeeze_within: int = Field(default=10, ge=1, le=16_383)
    high_low_window: int = Field(default=252, ge=2, le=16_383)
    pattern_swing: float = Field(default=3.0, gt=0)
    pattern_tolerance: float = Field(default=0.5, gt=0)
    pattern_max_bars: int = Field(default=250, ge=10, le=16_383)
    backtest_years: int = Field(default=10, ge=1)
    backtest_horizons: IntList = Field(default_factory=lambda: [5, 20, 60])

    # --- scheduler & runtime ----------------------------------------------------------------
    role: Literal["all", "bot", "scheduler", "api", "collector"] = "all"
    price_update_minutes: int = Field(default=5, ge=1)
    # after each close (US: before the 06:30 KST briefing)
    finalise_delay_minutes: int = Field(default=20, ge=0)
    finalise_retry_minutes: int = Field(default=20, ge=1)  # failed instruments are retried this much later
    finalise_retries: int = Field(default=2, ge=0)
    prev_close_lead_minutes: int = Field(default=15, ge=0)  # previous-close snapshot before the open
    kets_session: str = "10:00-12:00"  # KRX emissions market hours, KST (XKRX trading days)
    kets_finalise_time: str = "15:30"  # KST; emissions daily bars are fetched this + finalise delay
    krx_late_days: DateList = Field(default_factory=list)  # more exam days: KRX opens 10:00, closes 16:30
    eex_fetch_time: str = "11:45"  # Europe/Berlin (CET/CEST), EEX auction results, Mon-Fri
    ratings_time: str = "05:00"  # KST, daily: backtest ratings of watched symbols missing or too old
    ratings_max_age_days: int = Field(default=7, ge=1)  # ratings older than this are recomputed
    news_crawl_minutes: int = Field(default=15, ge=5)
    briefing_days: str = "mon-fri"  # cron day_of_week for the briefings at briefing_times (KST)
    weekly_briefing: str = "sat 09:00"  # KST: the week's briefing (day HH:MM), or "off"
    job_stagger_seconds: int = Field(default=20, ge=0)  # jobs of the same kind are spread by this much
    misfire_grace_s: int = Field(default=300, ge=1)
    lease_ttl_s: float = Field(default=600.0, gt=0)  # a job's database lease (two schedulers, one fires)
    warmup_bars: int = Field(default=400, ge=2)  # bars read to warm the signal engine per symbol
    shutdown_timeout_s: float = Field(default=30.0, gt=0)  # wait this long for running jobs at shutdown
    catch_up_hours: float = Field(default=20.0, ge=0)  # at start, run bar jobs missed this recently (0: off)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    data_dir: Path = Path("var")

    # --- issue 28: delivery under faults ------------------------------------------------------------
    instance_id: str | None = Field(default=None, max_length=60)  # default: data_dir/instance_id
    sender_lease_ttl_s: float = Field(default=60.0, gt=0)  # the outbox sender's lease (one sender drains)
    after_crash: Literal["resend", "skip"] = "resend"  # rows in flight at a crash: at-least/at-most once
    lookup_timeout_s: float = Field(default=8.0, gt=0)  # a $SYMBOL lookup answers "unavailable" after this

    # --- issue 25: delivery at 50,000 subscribers -------------------------------------------------
    paid_broadcast: bool = False  # premium chats' messages sent with allow_paid_broadcast (billed in Stars)
    paid_rate_per_second: float = Field(default=1000.0, gt=0, le=1000)  # rate of paid sends (Telegram: 1000)

    # --- issue 19: the Market Data API ----------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_cors_origins: StrList = Field(default_factory=list)  # browser frontends on other hosts
    api_rate_per_minute: int = Field(default=600, ge=1)  # requests per API key per minute
    api_max_bars: int = Field(default=5000, ge=10)  # bars per page
    api_max_intraday_days: int = Field(default=31, ge=1)  # longest range of 1m/5m/15m bars per request
    api_cache_s: float = Field(default=5.0, ge=0)  # seconds a bars response is reused per process

    # --- issue 23: questions in plain words -------------------------------------------------------
    ask_database_url: str = ""  # a read-only user's URL for questions (MySQL); empty: database_url
    ask_timeout_s: float = Field(default=5.0, gt=0, le=120)  # per question's query
    ask_max_rows: int = Field(default=1000, ge=10, le=100_000)  # more rows are cut with a note
    llm_base_url: str = ""  # OpenAI-compatible chat completions server; empty: offline only
    llm_model: str = ""
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_mode: Literal["fallback", "always"] = "fallback"  # model only when the interpreter cannot answer

    # --- issue 20: scale-out over Redis (unset: everything stays in-process) ---------------------
    redis_url: str = ""  # redis://[:password@]host:6379/0 or rediss://
    redis_consumer: str = ""  # a durable consumer group that resumes after restarts; "" = per process
    redis_stream_maxlen: int = Field(default=100_000, ge=100)  # XADD MAXLEN ~ per event stream
    redis_buffer_max: int = Field(default=10_000, ge=1)  # events held in memory while Redis is down
    redis_quote_ttl_s: float = Field(default=3600.0, gt=0)  # hot tier: latest quote per instrument
    redis_bars_ttl_s: float = Field(default=6 * 3600.0, gt=0)  # hot tier: recent minute bars per symbol
    redis_bars_hours: float = Field(default=6.0, gt=0, le=72)  # hot tier: hours of minute bars kept
    redis_flows_ttl_s: float = Field(default=24 * 3600.0, gt=0)  # hot tier: today's investor flows
    redis_indicators_ttl_s: float = Field(default=24 * 3600.0, gt=0)  # hot tier: latest indicator state
    cold_dir: Path = Path("var/cold")  # cold tier: monthly Parquet files of archived bars
    cold_archive_older_than: str = ""  # e.g. 2y, 18m, 400d: the daily archive job; "" = no job

    @field_validator("cold_archive_older_than")
    @classmethod
    def _cold_age(cls, value: str) -> str:
        if value.strip():
            parse_age(value)
        return value.strip()

    collector_lease_ttl_s: float = Field(default=15.0, gt=0)  # one active collector; a standby takes over

    @field_validator(
        "admin_ids",
        "briefing_times",
        "news_feeds",
        "news_investing_categories",
        "backtest_horizons",
        "krx_late_days",
        "api_cors_origins",
        mode="before",
    )
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split(value)

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        scheme = value.strip().split("://", 1)[0].lower() if "://" in value else ""
        if scheme not in _DB_SCHEMES:
            raise ValueError(f"expected {_DB_EXPECTED}")
        return value

    @field_validator("news_feeds")
    @classmethod
    def _feed_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            _check_http_url(url)
        return value

    @model_validator(mode="after")
    def _base_urls(self) -> Settings:
        """Every outside system's URL (fields named *_url, the database's aside) is http(s)://host."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in _NOT_HTTP or not name.endswith("_url") or not isinstance(value, str):
                continue
            if value == "" and name in _OPTIONAL_URLS:
                continue
            try:
                _check_http_url(value)
            except ValueError as exc:
                raise ValueError(f"FINSIGNAL_{name.upper()}: {exc}") from None
        for name in type(self).model_fields:  # every directory setting (data_dir, fundflow_dir, ...)
            path = getattr(self, name)
            if name.endswith("_dir") and isinstance(path, Path) and path.exists() and not path.is_dir():
                raise ValueError(f"FINSIGNAL_{name.upper()}: {path} exists and is not a directory")
        for origin in self.api_cors_origins:
            if origin != "*":
                try:
                    _check_http_url(origin)
                except ValueError as exc:
                    raise ValueError(f"FINSIGNAL_API_CORS_ORIGINS: {exc}") from None
        if self.sma_fast >= self.sma_slow:
            raise ValueError(
                f"FINSIGNAL_SMA_FAST ({self.sma_fast}) must be below FINSIGNAL_SMA_SLOW ({self.sma_slow})"
            )
        if self.rsi_oversold >= self.rsi_overbought:
            raise ValueError("FINSIGNAL_RSI_OVERSOLD must be below FINSIGNAL_RSI_OVERBOUGHT")
        return self

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if value.strip() and (parts.scheme not in ("redis", "rediss") or not parts.hostname):
            raise ValueError("expected redis://[:password@]host:6379/0 or rediss://... (or leave it empty)")
        return value.strip()

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        """A Bot API token is `<bot id>:<secret>` (as @BotFather gives it); the value is never echoed."""
        if value is not None and value.get_secret_value() and not _TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("expected the token @BotFather gives, such as 123456789:AAF-xyz")
        return value

    @field_validator(
        "webhook_secret",
        "krx_auth_key",
        "alphavantage_key",
        "fred_key",
        "oilprice_key",
        "kis_app_key",
        "kis_app_secret",
        "llm_api_key",
    )
    @classmethod
    def _key(cls, value: SecretStr | None) -> SecretStr | None:
        """Keys are single tokens: a space, quote or line break inside is a pasting mistake."""
        if value is not None and not _KEY.fullmatch(value.get_secret_value()):
            raise ValueError("expected a key of letters, digits and -_.~+/=: only (no spaces or quotes)")
        return value

    @field_validator("briefing_times")
    @classmethod
    def _times(cls, value: list[str]) -> list[str]:
        for t in value:
            hh, _, mm = t.partition(":")
            if not (hh.isdigit() and mm.isdigit() and 0 <= int(hh) < 24 and 0 <= int(mm) < 60):
                raise ValueError("expected comma-separated HH:MM times, e.g. 08:00,06:30")
        return value

    @field_validator("weekly_briefing")
    @classmethod
    def _weekly(cls, value: str) -> str:
        day, _, hhmm = value.strip().lower().partition(" ")
        hh, _, mm = hhmm.partition(":")
        if day == "off" and not hhmm:
            return "off"
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        if day not in days or not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError("expected a day and a KST time, e.g. 'sat 09:00', or 'off'")
        return f"{day} {int(hh):02d}:{int(mm):02d}"

    @field_validator(
        "kets_session", "kets_finalise_time", "eex_fetch_time", "ratings_time", "fundflow_collect_time"
    )
    @classmethod
    def _clock_times(cls, value: str) -> str:
        parts = value.split("-")
        for t in parts:
            hh, _, mm = t.strip().partition(":")
            if len(parts) > 2 or not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
                raise ValueError("expected HH:MM (or HH:MM-HH:MM for a session), e.g. 11:45 or 10:00-12:00")
        return value

    def secret_values(self) -> list[str]:
        """The unwrapped value of every secret setting (for the log filter that masks them)."""
        values = (getattr(self, name) for name in type(self).model_fields)
        out = [v.get_secret_value() for v in values if isinstance(v, SecretStr) and v.get_secret_value()]
        redis_password = urlsplit(self.redis_url).password if self.redis_url else None
        return [*out, redis_password] if redis_password else out

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None and bool(self.telegram_token.get_secret_value())


_DB_SCHEMES = {
    f"{backend}{driver}"
    for backend, drivers in (
        ("sqlite", ("", "+aiosqlite", "+pysqlite")),
        ("mysql", ("", "+aiomysql", "+pymysql")),
        ("mariadb", ("", "+aiomysql", "+pymysql")),
    )
    for driver in drivers
}
_DB_EXPECTED = (
    "a SQLAlchemy URL: sqlite+aiosqlite:///path/to/file.db or mysql+aiomysql://user:password@host:3306/dbname"
)
_OPTIONAL_URLS = {"webhook_url", "llm_base_url", "ask_database_url"}
_NOT_HTTP = {"database_url", "ask_database_url", "redis_url"}  # checked by their own validators
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_KEY = re.compile(r"[A-Za-z0-9_.~+/=:-]*")


def _check_http_url(value: str) -> None:
    """Raise ValueError unless `value` is an absolute http(s) URL with a host."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http(s) URL such as https://example.com/path, got {value!r}")


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation failure into a one-line ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        expected = str(err["msg"]).removeprefix("Value error, ")
        if not err["loc"]:  # a model-level check names its variable in the message
            field, _, expected = expected.partition(": ")
            raise ConfigError(f"{field} is invalid: {expected}") from None
        field = str(err["loc"][0])
        raise ConfigError(f"FINSIGNAL_{field.upper()} is invalid: {expected}") from None
