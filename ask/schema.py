"""What questions may read: the allow-listed tables and columns, and the schema text shown to a model.

Never listed: chats, watches, outbox, outbox_fanouts, data_versions, api_keys, state_blobs, leases,
job_runs, source_health, fetch_cursors, settings. Columns not listed (JSON blobs, hashes) are hidden: a query
naming one is refused and `SELECT *` expands to the listed columns only.
"""

from __future__ import annotations

TABLES: dict[str, tuple[str, ...]] = {
    "instruments": ("symbol", "name", "market", "currency", "timezone", "active"),
    "bars": ("symbol", "interval", "ts", "open", "high", "low", "close", "volume", "adj_factor"),
    "signal_events": ("id", "symbol", "interval", "signal", "ts", "close", "strength"),
    "ratings": (
        "symbol",
        "signal",
        "horizon",
        "count",
        "hit_rate",
        "mean_return",
        "median_return",
        "baseline_mean",
        "excess",
        "t_stat",
        "worst_mae",
        "grade",
        "period_start",
        "period_end",
    ),
    "news_items": (
        "id",
        "title",
        "source",
        "summary",
        "language",
        "symbols",
        "industries",
        "kind",
        "published",
    ),
    "investor_flows": (
        "symbol",
        "day",
        "close",
        "individual_qty",
        "foreign_qty",
        "institution_qty",
        "individual_value",
        "foreign_value",
        "institution_value",
    ),
    "etf_holdings": ("etf", "day", "code", "name", "weight", "value"),
}

# Columns that exist but are not for questions (a query naming one is refused, aliases included).
HIDDEN: dict[str, tuple[str, ...]] = {
    "instruments": ("id", "sources", "source_symbols", "updated_at"),
    "bars": ("source", "flags"),
    "signal_events": ("values", "created_at"),
    "ratings": ("id", "excluded", "params", "run_at"),
    "news_items": ("url", "url_hash", "guid", "guid_hash", "fingerprint", "created_at"),
    "investor_flows": ("source",),
    "etf_holdings": (),
}

DDL = """\
CREATE TABLE instruments (symbol VARCHAR(32) PRIMARY KEY, name VARCHAR(255), market VARCHAR(16),
  currency VARCHAR(8), timezone VARCHAR(64), active BOOLEAN);
CREATE TABLE bars (symbol VARCHAR(32), interval VARCHAR(8), ts DATETIME, open NUMERIC, high NUMERIC,
  low NUMERIC, close NUMERIC, volume NUMERIC, adj_factor NUMERIC,
  PRIMARY KEY (symbol, interval, ts));  -- interval '1d' = daily; ts in UTC
CREATE TABLE signal_events (id INTEGER PRIMARY KEY, symbol VARCHAR(32), interval VARCHAR(8),
  signal VARCHAR(32), ts DATETIME, close NUMERIC, strength DOUBLE);
  -- signal one of: breakout_200, breakdown_200, golden_cross, death_cross, rsi_overbought,
  -- rsi_oversold, volume_spike, foreign_buy_streak, smart_money_buy
CREATE TABLE ratings (symbol VARCHAR(32), signal VARCHAR(32), horizon INTEGER, count INTEGER,
  hit_rate DOUBLE, mean_return DOUBLE, median_return DOUBLE, baseline_mean DOUBLE, excess DOUBLE,
  t_stat DOUBLE, worst_mae DOUBLE, grade VARCHAR(32), period_start DATETIME, period_end DATETIME);
CREATE TABLE news_items (id INTEGER PRIMARY KEY, title TEXT, source VARCHAR(64), summary TEXT,
  language VARCHAR(8), symbols TEXT, industries TEXT, kind VARCHAR(32), published DATETIME);
  -- symbols and industries: lists stored as text with commas around each item: ",a,b,"
  -- (find one with LIKE '%,energy,%')
CREATE TABLE investor_flows (symbol VARCHAR(32), day DATE, close NUMERIC, individual_qty NUMERIC,
  foreign_qty NUMERIC, institution_qty NUMERIC, individual_value NUMERIC, foreign_value NUMERIC,
  institution_value NUMERIC, PRIMARY KEY (symbol, day));
  -- Korean stocks' daily net buying (buys minus sells) by investor group: shares and KRW
CREATE TABLE etf_holdings (etf VARCHAR(32), day DATE, code VARCHAR(32), name VARCHAR(128),
  weight NUMERIC, value NUMERIC, PRIMARY KEY (etf, day, code));
  -- one snapshot of a Korean ETF's portfolio a day; weight in % of the fund, value in KRW
"""
