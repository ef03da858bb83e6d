"""Periods in plain words, Korean and English -> a date range (inclusive), relative to `today` (KST).

지난 3개월, 최근 2주, 올해, 작년, 이번 달, 지난달, 지난주, 어제, 3월부터, 2010년, 2024년 3월,
last 3 months, past 2 weeks, this year, YTD, last year, this month, last month, last week, yesterday,
since March, since 2024-03-01, in 2010, in March 2024, from 2024-01-02 to 2024-02-01.
"last week"/"지난주" is the previous calendar week (Monday to Sunday); "last 7 days" counts back from today.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS_EN = {
    m: i + 1
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")]
    )
    for m in names
}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS_EN, key=len, reverse=True))
_UNIT_EN = {
    "day": "d",
    "days": "d",
    "week": "w",
    "weeks": "w",
    "month": "m",
    "months": "m",
    "year": "y",
    "years": "y",
}
_UNIT_KO = {"일": "d", "주": "w", "주일": "w", "개월": "m", "달": "m", "년": "y"}
_WORDS_EN = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12}
_ISO = r"(\d{4})-(\d{1,2})-(\d{1,2})"


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    matched: str  # the words that named it, removed from the question by the interpreter


def months_back(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, _month_end(date(y, m + 1, 1)).day))


def _month_end(day: date) -> date:
    nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _back(today: date, n: int, unit: str) -> date:
    if unit == "d":
        return today - timedelta(days=n)
    if unit == "w":
        return today - timedelta(weeks=n)
    if unit == "m":
        return months_back(today, n)
    return months_back(today, 12 * n)


def _since_month(today: date, month: int, year: int | None) -> date:
    if year is None:
        year = today.year if month <= today.month else today.year - 1
    return date(year, month, 1)


def _iso(m: re.Match[str], at: int) -> date:
    return date(int(m.group(at)), int(m.group(at + 1)), int(m.group(at + 2)))


def parse_period(text: str, today: date) -> Period | None:
    """The first period named in `text`, or None. Dates in the future are clipped to `today`."""
    low = text.lower()
    for pattern, build in _RULES:
        m = pattern.search(low)
        if m:
            start, end = build(m, today)
            return Period(start, min(end, today) if start <= today else end, m.group(0))
    return None


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


Builder = Callable[[re.Match[str], date], tuple[date, date]]
_RULES: list[tuple[re.Pattern[str], Builder]] = []  # tried in order: the more specific first


def _rule(pattern: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        _RULES.append((re.compile(pattern), fn))
        return fn

    return deco


@_rule(rf"(?:from|between)\s+{_ISO}\s+(?:to|and|until)\s+{_ISO}|{_ISO}\s*(?:~|부터|-|–)\s*{_ISO}(?:까지)?")
def _range(m: re.Match[str], today: date) -> tuple[date, date]:
    if m.group(1):
        return _iso(m, 1), _iso(m, 4)
    return _iso(m, 7), _iso(m, 10)


@_rule(rf"since\s+{_ISO}|{_ISO}\s*(?:부터|이후)")
def _since_iso(m: re.Match[str], today: date) -> tuple[date, date]:
    return (_iso(m, 1) if m.group(1) else _iso(m, 4)), today


@_rule(
    r"(?:last|past|previous)\s+(\d+|one|two|three|four|five|six|ten|twelve)\s+(days?|weeks?|months?|years?)"
)
def _last_n_en(m: re.Match[str], today: date) -> tuple[date, date]:
    n = int(m.group(1)) if m.group(1).isdigit() else _WORDS_EN[m.group(1)]
    return _back(today, n, _UNIT_EN[m.group(2)]), today


_WORDS_KO = {"한": 1, "두": 2, "세": 3, "네": 4, "여섯": 6}


@_rule(r"(?:지난|최근|과거)\s*(\d+|한|두|세|네|여섯)\s*(개월|주일|일|주|달|년)")
def _last_n_ko(m: re.Match[str], today: date) -> tuple[date, date]:
    n = int(m.group(1)) if m.group(1).isdigit() else _WORDS_KO[m.group(1)]
    return _back(today, n, _UNIT_KO[m.group(2)]), today


@_rule(r"(\d{4})\s*년\s*(\d{1,2})\s*월|in\s+(" + _MONTH_RE + r")\s+(\d{4})")
def _month_of_year(m: re.Match[str], today: date) -> tuple[date, date]:
    year, month = (
        (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(4)), _MONTHS_EN[m.group(3)])
    )
    start = date(year, month, 1)
    return start, _month_end(start)


@_rule(r"since\s+(" + _MONTH_RE + r")(?:\s+(\d{4}))?\b|(\d{1,2})\s*월\s*(?:부터|이후)")
def _since_month_rule(m: re.Match[str], today: date) -> tuple[date, date]:
    if m.group(1):
        return _since_month(today, _MONTHS_EN[m.group(1)], int(m.group(2)) if m.group(2) else None), today
    return _since_month(today, int(m.group(3)), None), today


@_rule(r"since\s+(\d{4})\b|(\d{4})\s*년\s*(?:부터|이후)")
def _since_year(m: re.Match[str], today: date) -> tuple[date, date]:
    return date(int(m.group(1) or m.group(2)), 1, 1), today


@_rule(r"\b(?:in|during|for)\s+(\d{4})\b|(\d{4})\s*년|\b(19\d{2}|20\d{2})\b")
def _year(m: re.Match[str], today: date) -> tuple[date, date]:
    year = int(m.group(1) or m.group(2) or m.group(3))
    return date(year, 1, 1), date(year, 12, 31)


@_rule(r"this year|year to date|\bytd\b|올해|금년|연초\s*(?:이후|부터|대비)?")
def _this_year(m: re.Match[str], today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), today


@_rule(r"last year|previous year|작년|지난\s*해|전년")
def _last_year(m: re.Match[str], today: date) -> tuple[date, date]:
    return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)


@_rule(r"this month|이번\s*달|이달")
def _this_month(m: re.Match[str], today: date) -> tuple[date, date]:
    return today.replace(day=1), today


@_rule(r"last month|previous month|지난\s*달|전월")
def _last_month(m: re.Match[str], today: date) -> tuple[date, date]:
    start = months_back(today.replace(day=1), 1)
    return start, _month_end(start)


@_rule(r"this week|이번\s*주")
def _this_week(m: re.Match[str], today: date) -> tuple[date, date]:
    return _week_start(today), today


@_rule(r"last week|previous week|지난\s*주|저번\s*주")
def _last_week(m: re.Match[str], today: date) -> tuple[date, date]:
    start = _week_start(today) - timedelta(days=7)
    return start, start + timedelta(days=6)


@_rule(r"yesterday|어제")
def _yesterday(m: re.Match[str], today: date) -> tuple[date, date]:
    day = today - timedelta(days=1)
    return day, day


@_rule(r"today|오늘")
def _today(m: re.Match[str], today: date) -> tuple[date, date]:
    return today, today
