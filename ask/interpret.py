"""The offline interpreter: a question in Korean or English -> a `Plan` (shape + SQL) or `NotUnderstood`.

Pure and deterministic. Shapes: history, max, min, avg, change (one instrument), compare (two or more),
top (instruments ranked by change or volume), signals, ratings, news (counts by industry), flows (one
stock's daily net buying by investor group) and flow_top (stocks ranked by a group's net buying). The SQL is
written in SQLite's dialect for the allow-listed schema; `ask.guard` checks it like any other SQL and
transpiles it for MySQL/MariaDB.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ask import words as W
from ask.periods import Period, months_back, parse_period
from ask.sqlbuild import (
    change_sql,
    compare_sql,
    flow_top_sql,
    flows_sql,
    history_sql,
    news_sql,
    ratings_sql,
    signals_sql,
    stat_sql,
    top_sql,
)
from ask.vocabulary import Vocabulary
from core.types import SignalType

DEFAULT_MONTHS = {
    "history": 3,
    "max": 3,
    "min": 3,
    "avg": 3,
    "change": 3,
    "compare": 3,
    "top": 1,
    "signals": 12,
    "news": 1,
    "flows": 1,
    "flow_top": 1,
}
EXAMPLES = {
    "en": "e.g. “Apple close over the last 3 months”, “top 5 by change this year”, "
    "“golden crosses on my watchlist this year”",
    "ko": "예: “지난 3개월 KAU25 종가 추이 보여줘”, “올해 상승률 상위 5개”, “관심종목 올해 골든크로스”",
}


@dataclass(frozen=True)
class Plan:
    """What the interpreter (or a model) decided: the shape of the answer and the SQL that gets it."""

    shape: str
    sql: str
    lang: str
    symbols: tuple[str, ...] = ()
    period: Period | None = None
    options: dict[str, str] = field(default_factory=dict)  # signal, metric, direction, n, price column


@dataclass(frozen=True)
class NotUnderstood:
    """The interpreter could not answer; `message` says what it missed, with an example question."""

    message: str
    lang: str


def language(question: str) -> str:
    return "ko" if W.HANGUL.search(question) else "en"


def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.I) is not None


def _signal(text: str) -> SignalType | None:
    for kind, pattern in W.SIGNALS.items():
        if _has(pattern, text):
            return kind
    return None


def _count(text: str, default: int = 5) -> int:
    m = W.COUNT_N.search(text)
    if not m:
        return default
    return max(1, min(50, int(m.group(1) or m.group(2))))


def interpret(
    question: str, *, vocab: Vocabulary, today: date, watchlist: Sequence[str] = ()
) -> Plan | NotUnderstood:
    """Turn `question` into a Plan, or say what was not understood. `today` is the KST date."""
    lang = language(question)
    symbols, unknown, rest = vocab.find(question)
    period = parse_period(rest, today)
    text = rest.lower()
    if period is not None:
        text = text.replace(period.matched, " ")
    if unknown and not symbols:
        return NotUnderstood(_msg(lang, "unknown", ", ".join(unknown)), lang)
    watch = _has(W.WATCHLIST, text)
    scope = tuple(symbols) or (tuple(watchlist) if watch else ())
    if _has(W.FLOWS, text):
        return _flows(text, lang, symbols, scope, period or _default("flows", today))
    kind = _signal(text)

    def span(shape: str) -> Period:
        return period or _default(shape, today)

    if _has(W.RATINGS, text):
        opts = {"n": str(_count(text, 10))} | ({"signal": kind.value} if kind else {})
        return Plan("ratings", ratings_sql(scope, kind, int(opts["n"])), lang, scope, None, opts)
    if kind is not None or _has(W.SIGNAL_WORD, text):
        p = span("signals")
        opts = {"signal": kind.value} if kind else {}
        return Plan("signals", signals_sql(scope, kind, p), lang, scope, p, opts)
    if _has(W.NEWS, text):
        p = span("news")
        return Plan("news", news_sql(p), lang, (), p)
    if len(symbols) >= 2:
        p = span("compare")
        return Plan("compare", compare_sql(symbols, p), lang, tuple(symbols), p)
    if not symbols:
        if _has(W.TOP, text) or _has(W.VOLUME, text) or watch:
            return _top(text, lang, scope, span("top"))
        return NotUnderstood(_msg(lang, "nothing"), lang)
    return _single(symbols[0], text, lang, span("history"))


def _top(text: str, lang: str, scope: tuple[str, ...], period: Period) -> Plan:
    metric = "volume" if _has(W.VOLUME, text) else "change"
    direction = "asc" if _has(W.BOTTOM, text) else "desc"
    n = _count(text)
    opts = {"metric": metric, "direction": direction, "n": str(n)}
    return Plan("top", top_sql(scope, metric, direction, n, period), lang, scope, period, opts)


def _flows(text: str, lang: str, symbols: Sequence[str], scope: tuple[str, ...], period: Period) -> Plan:
    """One stock's daily net buying by investor group, or stocks ranked by one group's net buying."""
    if len(symbols) == 1:
        return Plan("flows", flows_sql(symbols[0], period), lang, (symbols[0],), period)
    group = (
        "institution"
        if _has(W.INSTITUTION, text)
        else "individual"
        if _has(W.INDIVIDUAL, text) and not _has(r"외국인|foreign", text)
        else "foreign"
    )
    direction = "asc" if _has(W.NET_SELL, text) else "desc"
    n = _count(text)
    opts = {"group": group, "direction": direction, "n": str(n)}
    return Plan("flow_top", flow_top_sql(scope, group, direction, n, period), lang, scope, period, opts)


def _single(symbol: str, text: str, lang: str, period: Period) -> Plan:
    for shape, pattern in (("avg", W.AVG), ("max", W.MAX), ("min", W.MIN)):
        if _has(pattern, text):
            column = (
                "close" if shape == "avg" or _has(W.CLOSE, text) else ("high" if shape == "max" else "low")
            )
            sql = stat_sql(symbol, shape, column, period)
            return Plan(shape, sql, lang, (symbol,), period, {"column": column})
    if _has(W.CHANGE, text):
        return Plan("change", change_sql(symbol, period), lang, (symbol,), period)
    return Plan("history", history_sql(symbol, period), lang, (symbol,), period)


def _default(shape: str, today: date) -> Period:
    return Period(months_back(today, DEFAULT_MONTHS.get(shape, 3)), today, "")


def _msg(lang: str, what: str, detail: str = "") -> str:
    texts = {
        "en": {
            "unknown": f"I do not know the instrument {detail}.",
            "nothing": "I did not understand which instrument or which ranking you mean.",
        },
        "ko": {
            "unknown": f"종목 {detail}을(를) 찾지 못했습니다.",
            "nothing": "어떤 종목이나 순위를 묻는지 이해하지 못했습니다.",
        },
    }
    return f"{texts[lang][what]} {EXAMPLES[lang]}"
