"""Writes `.env.example` and `docs/settings.md` from one list of descriptions.

Run `python tools/settings_doc.py` after adding a setting; tests/core/test_settings.py fails while a
setting is undocumented.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Storage",
        [
            (
                "database_url",
                "SQLAlchemy URL. SQLite (default, created on first run) or MySQL/MariaDB: mysql+aiomysql://user:password@host:3306/finsignal?charset=utf8mb4",
            ),
            ("database_echo", "log every SQL statement (debugging)"),
        ],
    ),
    (
        "Telegram",
        [
            (
                "telegram_token",
                "bot token from @BotFather (secret). Unset: `finsignal run` starts console mode",
            ),
            (
                "telegram_base_url",
                "Bot API server; point it at a local Bot API server in production or a fake one in tests",
            ),
            ("telegram_base_file_url", "Bot API file server"),
            ("telegram_mode", "polling | webhook"),
            ("webhook_url", "public HTTPS URL Telegram posts updates to (webhook mode)"),
            ("webhook_listen", "address the webhook server listens on"),
            ("webhook_port", "port the webhook server listens on"),
            ("webhook_secret", "secret token Telegram sends with every webhook call (secret)"),
            ("admin_ids", "comma-separated Telegram user ids allowed to use admin commands"),
            (
                "premium_channel_id",
                "channel (or forum group) id that receives the premium briefings, e.g. -1001234567890",
            ),
            ("premium_topic_id", "forum topic (message_thread_id) for briefings in a forum group"),
            ("briefing_times", "comma-separated KST times (HH:MM) of the premium briefings"),
            ("briefing_days", "days the briefings run (cron day_of_week, e.g. mon-fri)"),
            ("weekly_briefing", "the weekly briefing: day and KST time (e.g. sat 09:00), or off"),
            ("watchlist_limit_free", "most symbols a free chat may watch"),
            ("user_alerts_per_chat", "most own alerts (`/alert`) a chat may set"),
            (
                "user_alert_rearm_pct",
                "a fired price alert is re-armed once the price is back past the level by this percent of it",
            ),
            (
                "user_alert_rearm_move_points",
                "a fired `move N%` alert is re-armed once the day's move is back under N minus these points",
            ),
            (
                "user_alert_rearm_rsi_points",
                "a fired RSI alert is re-armed once RSI is back past the level by these points",
            ),
            (
                "alert_delivery",
                "digest: the alerts of one bar close reach a chat as one message; single: one message each",
            ),
            ("watchlist_limit_premium", "most symbols a premium chat may watch"),
            (
                "command_rate_per_minute",
                "commands a chat may send per minute before it is asked to slow down",
            ),
            (
                "send_rate_per_second",
                "overall messages per second the sender allows itself (Telegram: about 30)",
            ),
            (
                "default_language",
                "ko | en: reply language when a chat has none and the client's language is unknown",
            ),
        ],
    ),
    (
        "Market data",
        [
            ("yahoo_base_url", "Yahoo Finance chart API (equities, ETFs, FCO2.DE, .KS/.KQ)"),
            ("krx_base_url", "KRX Open API (K-ETS allowances: ets_bydd_trd)"),
            ("alphavantage_base_url", "Alpha Vantage API (fallback for non-Korean symbols)"),
            ("eex_base_url", "EEX public files (EUA primary-auction reports)"),
            ("krx_auth_key", "KRX Open API key, sent as the AUTH_KEY header (secret)"),
            ("alphavantage_key", "Alpha Vantage API key (secret)"),
            ("http_timeout_s", "timeout of one request to a price source, seconds"),
            ("eex_timeout_s", "timeout of one EEX yearly file download, seconds"),
            ("yahoo_rate_per_s", "requests per second to Yahoo"),
            ("krx_rate_per_s", "requests per second to KRX"),
            ("alphavantage_rate_per_s", "requests per second to Alpha Vantage"),
            (
                "alphavantage_daily_budget",
                "Alpha Vantage requests in any 24 hours (free tier: 25); counted across restarts",
            ),
            ("eex_rate_per_s", "requests per second to EEX"),
            ("breaker_failures", "consecutive failures that open a source's circuit breaker"),
            ("breaker_reset_s", "seconds an open breaker waits before probing the source again"),
            ("outlier_pct", "unused: outliers follow core/quality.py (kept for old files)"),
            ("max_gap_days", "days between two bars that make a gap: indicators restart warm-up"),
            (
                "quote_max_age_s",
                "a cached quote older than this is refreshed (served meanwhile with its age)",
            ),
            ("market_retry_attempts", "attempts per call on transient errors (timeouts, 5xx, 429)"),
            ("market_retry_base_s", "first retry wait, seconds (exponential backoff with jitter)"),
            ("market_retry_max_s", "longest retry wait, seconds"),
            ("market_source_concurrency", "requests in flight per source"),
            ("market_batch_concurrency", "instruments processed at once in a batch"),
            ("market_initial_days", "how far back the first update of a new instrument looks, days"),
        ],
    ),
    (
        "News",
        [
            ("yahoo_rss_base_url", "Yahoo Finance per-ticker RSS feeds"),
            ("investing_base_url", "Investing.com RSS feeds"),
            ("news_feeds", "comma-separated extra RSS/Atom feed URLs (e.g. a Korean financial newswire)"),
            ("news_investing_categories", "comma-separated Investing.com RSS category numbers (news_N.rss)"),
            ("news_min_interval_s", "no feed is polled more often than this, seconds (at least 300)"),
            ("news_max_bytes", "largest feed response read, bytes"),
            ("news_timeout_s", "deadline of one feed request, seconds"),
            ("news_alerts_per_hour", "most news alerts a chat receives in a rolling hour"),
        ],
    ),
    (
        "Signals and backtests",
        [
            ("sma_fast", "fast moving average period (golden/death cross), below sma_slow; 2..16383"),
            ("sma_slow", "slow moving average period (breakout/breakdown and crosses)"),
            ("rsi_period", "RSI period (Wilder smoothing, TA-Lib seeding)"),
            ("rsi_overbought", "RSI level whose upward crossing is rsi_overbought"),
            ("rsi_oversold", "RSI level whose downward crossing is rsi_oversold"),
            ("volume_window", "bars in the average volume a spike is measured against"),
            ("volume_multiple", "volume at least this multiple of the average is a volume_spike"),
            ("bb_period", "Bollinger band period (TA-Lib BBANDS, SMA middle, population deviation)"),
            ("bb_stddev", "Bollinger band width in standard deviations"),
            ("bb_squeeze_window", "a squeeze: the narrowest bandwidth of this many bars"),
            (
                "bb_squeeze_within",
                "bb_squeeze_breakout: a close outside the band within this many bars of a squeeze",
            ),
            ("high_low_window", "bars in the high_52w / low_52w window (252 trading days)"),
            ("pattern_swing", "chart patterns: a swing point needs a reversal of this many volatility units"),
            ("pattern_tolerance", "chart patterns: equal tops/shoulders within this fraction of the swing"),
            ("pattern_max_bars", "chart patterns: from the first swing point to the neckline break, at most"),
            ("backtest_years", "years of history the ratings are computed on"),
            ("backtest_horizons", "comma-separated forward horizons in trading days"),
        ],
    ),
    (
        "Scheduler and runtime",
        [
            (
                "role",
                "all | bot | scheduler | api | collector: what `finsignal run` runs in this process "
                "(scale-out; docs/scaleout.md)",
            ),
            ("price_update_minutes", "intraday quote refresh interval during a market's session, minutes"),
            ("finalise_delay_minutes", "minutes after a market's close before the day's bars are fetched"),
            ("finalise_retry_minutes", "minutes between retries for instruments whose daily bar failed"),
            ("finalise_retries", "retries for a failed daily bar before waiting for the next day"),
            (
                "prev_close_lead_minutes",
                "minutes before a session's open the previous-close snapshot is taken",
            ),
            ("kets_session", "KRX emissions market session, KST (HH:MM-HH:MM)"),
            (
                "krx_late_days",
                "more exam days (수능, after 2026-11-19) when KRX trades 10:00-16:30; YYYY-MM-DD, comma-separated",
            ),
            ("kets_finalise_time", "KST time the K-ETS daily bars are fetched"),
            ("eex_fetch_time", "Europe/Berlin time the EEX auction file is fetched"),
            (
                "ratings_time",
                "KST time (HH:MM) of the daily job that backtests watched symbols whose ratings are missing or old",
            ),
            ("ratings_max_age_days", "ratings older than this many days are recomputed by that job"),
            ("news_crawl_minutes", "news crawling interval, minutes"),
            ("job_stagger_seconds", "offset between jobs that would otherwise fire at the same moment"),
            ("misfire_grace_s", "how late a job may still run after its time, seconds"),
            ("lease_ttl_s", "job lease lifetime for scale-out (two schedulers never run the same job)"),
            ("warmup_bars", "stored bars the signal engine warms up from on a cold start"),
            ("shutdown_timeout_s", "how long shutdown waits for running jobs, seconds"),
            ("catch_up_hours", "on start-up, jobs missed within this many hours run at once"),
            ("metrics_port", "serve Prometheus metrics on 127.0.0.1:PORT (unset: off)"),
            ("log_level", "DEBUG | INFO | WARNING | ERROR"),
            ("data_dir", "directory for files finsignal writes (charts saved in console mode)"),
        ],
    ),
    (
        "Fund-flow tracker (#22)",
        [
            ("fred_base_url", "FRED API base URL"),
            (
                "fred_key",
                "FRED API key (free, 32 characters); without it the bond and real-estate FRED series are skipped",
            ),
            ("ecb_base_url", "ECB Data Portal base URL (FX reference rates, no key)"),
            ("binance_base_url", "Binance public market-data base URL (klines, no key)"),
            ("oilprice_base_url", "OilPriceAPI base URL"),
            (
                "oilprice_key",
                "OilPriceAPI key (sent as 'Authorization: Token KEY'); without it crude comes from Yahoo futures only",
            ),
            ("fred_rate_per_s", "FRED requests per second"),
            ("ecb_rate_per_s", "ECB requests per second"),
            ("binance_rate_per_s", "Binance requests per second"),
            ("oilprice_rate_per_s", "OilPriceAPI requests per second"),
            (
                "fundflow_dir",
                "directory of the fund-flow Parquet datasets, resume tracker, error log and reports",
            ),
            ("fundflow_years", "years of monthly history the scheduler's monthly collection keeps"),
            (
                "fundflow_collect_time",
                "HH:MM UTC on the 1st of each month when the scheduler collects the month just ended",
            ),
            (
                "fundflow_pace",
                "share of each source's rate limit the collection paces at (a margin against 429s)",
            ),
            (
                "fundflow_briefing_days",
                "the premium briefing carries the fund-flow section on days 1 to N of the month (0: never)",
            ),
        ],
    ),
    (
        "Korea Investment & Securities (KIS) Open API",
        [
            (
                "kis_base_url",
                "KIS REST base URL (a paper account left on the real default goes to the paper server)",
            ),
            (
                "kis_app_key",
                "KIS app key; with the secret, KIS serves minute bars, quotes and investor flows",
            ),
            ("kis_app_secret", "KIS app secret (never logged; the access token is kept in the database)"),
            ("kis_account_type", "real | paper (the request limits differ: 20/s and 2/s)"),
            ("kis_rate_per_s", "requests per second (default 19 real, 1.8 paper)"),
            ("kis_token_min_gap_s", "seconds between two token issuances (KIS allows one a minute)"),
            (
                "kis_etfs",
                "ETF codes whose holdings are kept daily (KODEX 200, TIGER 200, KODEX and SOL carbon ETFs)",
            ),
        ],
    ),
    (
        "Delivery under faults (issue 28)",
        [
            (
                "instance_id",
                "stable id of this process for leases and outbox claims (default: made once, kept in DATA_DIR/instance_id); "
                "distinct per process when processes share a data directory and a role",
            ),
            (
                "sender_lease_ttl_s",
                "outbox sender lease lifetime: another instance takes over this long after a crash",
            ),
            (
                "after_crash",
                "rows whose send had started when the process died: resend (at-least-once) | skip (at-most-once)",
            ),
            (
                "lookup_timeout_s",
                "a `$SYMBOL` lookup in a message answers 'unavailable' after this many seconds",
            ),
        ],
    ),
    (
        "Delivery at scale (issue 25)",
        [
            (
                "paid_broadcast",
                "send premium chats' alerts and briefings with `allow_paid_broadcast` (Telegram: up to "
                "1,000 messages/s, 0.1 Star per message above the free 30/s, from the bot's balance)",
            ),
            ("paid_rate_per_second", "rate limit of paid sends when `paid_broadcast` is on (at most 1000)"),
        ],
    ),
    (
        "Market Data API (issue 19)",
        [
            ("api_host", "address `finsignal api` listens on"),
            ("api_port", "port `finsignal api` listens on"),
            (
                "api_cors_origins",
                "comma-separated origins allowed by CORS (browser frontends on other hosts)",
            ),
            ("api_rate_per_minute", "requests per API key per minute; more get 429 with Retry-After"),
            ("api_max_bars", "bars per page of GET /v1/bars"),
            ("api_max_intraday_days", "longest range of 1m/5m/15m bars in one request (422 beyond)"),
            ("api_cache_s", "seconds a serialised bars page is reused per API process (0: off)"),
        ],
    ),
    (
        "Questions in plain words (issue 23)",
        [
            (
                "ask_database_url",
                "database URL for questions, ideally a SELECT-only MySQL user (ask/README.md); "
                "empty: FINSIGNAL_DATABASE_URL (SQLite is opened read-only either way)",
            ),
            ("ask_timeout_s", "time limit of one question's query, seconds"),
            ("ask_max_rows", "rows a question may return; more are cut with a note"),
            (
                "llm_base_url",
                "OpenAI-compatible chat-completions server (vLLM, llama.cpp, Ollama); empty: offline",
            ),
            ("llm_model", "model name sent to that server"),
            ("llm_api_key", "bearer key of that server (secret), if it wants one"),
            ("llm_timeout_s", "time limit of one model request, seconds"),
            (
                "llm_mode",
                "fallback: the model answers what the offline interpreter cannot; always: the model first",
            ),
        ],
    ),
    (
        "Scale-out over Redis (issue 20; unset = everything in-process)",
        [
            (
                "redis_url",
                "redis://[:password@]host:6379/0 or rediss://; empty keeps the in-process bus and cache. Run Redis with appendonly yes so a restart loses no event",
            ),
            (
                "redis_consumer",
                "a durable consumer group on the event streams for this process (the bot, the collector): stable across restarts, it resumes after the last acknowledged event; one name per process. Empty (API workers) = a group per process (host:pid), removed when it stops",
            ),
            ("redis_stream_maxlen", "approximate length each event stream is trimmed to (XADD MAXLEN ~)"),
            (
                "redis_buffer_max",
                "events held in memory while Redis is down, re-published when it returns (oldest dropped beyond, counted and logged)",
            ),
            ("redis_quote_ttl_s", "seconds the latest quote per instrument lives in the Redis hot tier"),
            ("redis_bars_ttl_s", "seconds a symbol's recent minute bars live in the Redis hot tier"),
            ("redis_bars_hours", "hours of minute bars per symbol kept in the Redis hot tier"),
            ("redis_flows_ttl_s", "seconds a symbol's investor flows of the day live in the Redis hot tier"),
            (
                "redis_indicators_ttl_s",
                "seconds a symbol's latest indicator state (SMA 50/200, RSI) lives in the Redis hot tier",
            ),
            (
                "cold_dir",
                "cold tier: monthly Parquet files of archived bars, one per market and month (shared by every process that reads bars)",
            ),
            (
                "cold_archive_older_than",
                "age (400d, 18m, 2y) past which whole months of bars move to the cold tier, daily; empty: only `finsignal archive`",
            ),
            (
                "collector_lease_ttl_s",
                "seconds the active collector's lease lasts unrenewed: a standby takes over after it",
            ),
        ],
    ),
]


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def env_example() -> str:
    out = [
        "# finsignal settings. Copy to .env (git-ignored) and fill in what you need; everything is optional.",
        "# With no token, `finsignal run` starts console mode on SQLite. Secrets are never logged.",
        "",
    ]
    for title, rows in SECTIONS:
        out.append(f"# --- {title} " + "-" * (96 - len(title)))
        for name, text in rows:
            out.append(f"# {text}")
            default = _default(name)
            prefix = "" if name in ("database_url",) else "# "
            out.append(f"{prefix}FINSIGNAL_{name.upper()}={default}")
        out.append("")
    return "\n".join(out)


def readme_table() -> str:
    out = []
    for title, rows in SECTIONS:
        out += [f"**{title}**", "", "| variable | default | meaning |", "|---|---|---|"]
        for name, text in rows:
            default = _default(name).replace("|", "\\|") or "(unset)"
            out.append(f"| `FINSIGNAL_{name.upper()}` | `{default}` | {text.replace('|', '\\|')} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    documented = {name for _, rows in SECTIONS for name, _ in rows}
    missing = set(Settings.model_fields) - documented
    if missing:
        print(f"undocumented settings: {sorted(missing)}", file=sys.stderr)
        return 1
    (ROOT / ".env.example").write_text(env_example(), encoding="utf-8")
    header = (
        "# Settings\n\n"
        "Every setting is an environment variable (or a line in `.env`, git-ignored; copy `.env.example`).\n"
        "Written by `tools/settings_doc.py` from the descriptions there; do not edit by hand.\n\n"
    )
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "settings.md").write_text(header + readme_table(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
