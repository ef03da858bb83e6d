"""SQL for each question shape, in SQLite's dialect over the allow-listed schema (daily bars only).

Values are quoted here (`_lit`) and the whole text goes through `ask.guard` afterwards like a model's.
Dates are inclusive KST calendar days compared with the daily bars' 00:00 UTC timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ask.periods import Period
from core.types import SignalType
from news.taxonomy import default_taxonomy

DAILY = "\"interval\" = '1d'"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in(symbols: Sequence[str]) -> str:
    return "(" + ", ".join(_lit(s) for s in symbols) + ")"


def _span(period: Period, column: str = "ts") -> str:
    end = period.end + timedelta(days=1)
    return f"{column} >= {_lit(period.start.isoformat())} AND {column} < {_lit(end.isoformat())}"


def history_sql(symbol: str, period: Period) -> str:
    where = f"symbol = {_lit(symbol)} AND {DAILY} AND {_span(period)}"
    return f"SELECT ts, close FROM bars WHERE {where} ORDER BY ts"


def stat_sql(symbol: str, shape: str, column: str, period: Period) -> str:
    where = f"symbol = {_lit(symbol)} AND {DAILY} AND {_span(period)}"
    if shape == "avg":
        return f"SELECT ROUND(AVG({column}), 4) AS avg_{column}, COUNT(*) AS days FROM bars WHERE {where}"
    order = "DESC" if shape == "max" else "ASC"
    return f"SELECT ts, {column} FROM bars WHERE {where} ORDER BY {column} {order}, ts LIMIT 1"


def change_sql(symbol: str, period: Period) -> str:
    where = f"symbol = {_lit(symbol)} AND {DAILY} AND {_span(period)}"
    return (
        "SELECT f.ts AS start_ts, f.close AS start_close, l.ts AS end_ts, l.close AS end_close, "
        "ROUND((l.close * 1.0 / f.close - 1) * 100, 2) AS change_pct "
        f"FROM (SELECT ts, close FROM bars WHERE {where} ORDER BY ts LIMIT 1) AS f, "
        f"(SELECT ts, close FROM bars WHERE {where} ORDER BY ts DESC LIMIT 1) AS l"
    )


def compare_sql(symbols: Sequence[str], period: Period) -> str:
    return (
        f"SELECT symbol, ts, close FROM bars WHERE symbol IN {_in(symbols)} AND {DAILY} "
        f"AND {_span(period)} ORDER BY symbol, ts"
    )


def top_sql(scope: Sequence[str], metric: str, direction: str, n: int, period: Period) -> str:
    where = f"{DAILY} AND {_span(period)}" + (f" AND symbol IN {_in(scope)}" if scope else "")
    order = "DESC" if direction == "desc" else "ASC"
    if metric == "volume":
        return (
            f"SELECT symbol, SUM(volume) AS total_volume FROM bars WHERE {where} "
            f"GROUP BY symbol ORDER BY total_volume {order}, symbol LIMIT {n}"
        )
    return (
        "WITH p AS (SELECT symbol, ts, close, "
        "ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts) AS rn_first, "
        "ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts DESC) AS rn_last "
        f"FROM bars WHERE {where}) "
        "SELECT f.symbol, f.close AS start_close, l.close AS end_close, "
        "ROUND((l.close * 1.0 / f.close - 1) * 100, 2) AS change_pct "
        "FROM p AS f JOIN p AS l ON f.symbol = l.symbol AND f.rn_first = 1 AND l.rn_last = 1 "
        f"ORDER BY change_pct {order}, f.symbol LIMIT {n}"
    )


def signals_sql(scope: Sequence[str], kind: SignalType | None, period: Period) -> str:
    where = f"{DAILY} AND {_span(period)}"
    if scope:
        where += f" AND symbol IN {_in(scope)}"
    if kind is not None:
        where += f' AND "signal" = {_lit(kind.value)}'
    return f'SELECT ts, symbol, "signal", close FROM signal_events WHERE {where} ORDER BY ts DESC, symbol'


def ratings_sql(scope: Sequence[str], kind: SignalType | None, n: int) -> str:
    where = ["grade <> 'insufficient data'"]
    if scope:
        where.append(f"symbol IN {_in(scope)}")
    if kind is not None:
        where.append(f'"signal" = {_lit(kind.value)}')
    return (
        'SELECT symbol, "signal", horizon, grade, count, ROUND(hit_rate * 100, 1) AS hit_rate_pct, '
        "ROUND(mean_return * 100, 2) AS mean_return_pct, ROUND(t_stat, 2) AS t_stat FROM ratings "
        f"WHERE {' AND '.join(where)} ORDER BY grade, ratings.t_stat DESC, symbol LIMIT {n}"
    )


def news_sql(period: Period) -> str:
    parts = [
        f"SELECT {_lit(ind.key)} AS industry, COUNT(*) AS news_count FROM news_items "
        f"WHERE industries LIKE {_lit('%,' + ind.key + ',%')} AND {_span(period, 'published')}"
        for ind in default_taxonomy().industries
    ]
    union = " UNION ALL ".join(parts)
    return f"SELECT industry, news_count FROM ({union}) AS t ORDER BY news_count DESC, industry"


FLOW_GROUPS = ("foreign", "institution", "individual")


def _day_span(period: Period) -> str:
    """Inclusive KST calendar days over the DATE column `day` (ISO text compares the same in SQLite)."""
    end = period.end + timedelta(days=1)
    return f"day >= {_lit(period.start.isoformat())} AND day < {_lit(end.isoformat())}"


def flows_sql(symbol: str, period: Period) -> str:
    """One stock's daily net buying (KRW) by foreigners, institutions and individuals."""
    return (
        "SELECT day, foreign_value, institution_value, individual_value FROM investor_flows "
        f"WHERE symbol = {_lit(symbol)} AND {_day_span(period)} ORDER BY day"
    )


def flow_top_sql(scope: Sequence[str], group: str, direction: str, n: int, period: Period) -> str:
    """Stocks ranked by one group's summed net buying (KRW) over the period."""
    assert group in FLOW_GROUPS, group
    where = _day_span(period) + (f" AND symbol IN {_in(scope)}" if scope else "")
    order = "DESC" if direction == "desc" else "ASC"
    return (
        f"SELECT symbol, SUM({group}_value) AS {group}_net_value, COUNT(*) AS days FROM investor_flows "
        f"WHERE {where} GROUP BY symbol ORDER BY {group}_net_value {order}, symbol LIMIT {n}"
    )
