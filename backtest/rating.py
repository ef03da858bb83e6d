"""Grades of (instrument, signal, horizon) statistics, and the one-line text alerts carry.

Grades (t = t-statistic of the excess over the baseline, see `backtest.study`; n = events with a
full forward window):

=====================  ========================================================================
'insufficient data'    n < min_count (default 10), or no t-statistic (n < 2 or zero spread)
A                      t >= 3.0 and n >= 30: strong, well-sampled evidence of an edge
B                      t >= 2.0: significant at roughly the 5% level (two-sided)
C                      t >= 1.0: some positive evidence, not significant
D                      -1.0 < t < 1.0: no better than the baseline
F                      t <= -1.0: the signal did worse than simply being in the market
=====================  ========================================================================

Returns are direction-adjusted, so a bearish signal earns a good grade when prices fell after
it more than they usually do. Events overlap and the baseline is estimated, so grades rank
signals; they are not guarantees.
"""

from __future__ import annotations

import math

from core.types import Rating

INSUFFICIENT = "insufficient data"
DEFAULT_MIN_COUNT = 10
GRADES = ("A", "B", "C", "D", "F", INSUFFICIENT)


def grade(count: int, t_stat: float | None, *, min_count: int = DEFAULT_MIN_COUNT) -> str:
    """The grade of one statistic (see the module docstring for the thresholds)."""
    if count < min_count or t_stat is None or not math.isfinite(t_stat):
        return INSUFFICIENT
    if t_stat >= 3.0 and count >= 30:
        return "A"
    if t_stat >= 2.0:
        return "B"
    if t_stat >= 1.0:
        return "C"
    if t_stat > -1.0:
        return "D"
    return "F"


def _span(rating: Rating, lang: str) -> str:
    years = rating.history_years
    if years >= 1.95:
        return f"{round(years)}y" if lang == "en" else f"{round(years)}년"
    months = max(1, round(years * 12))
    return f"{months}m" if lang == "en" else f"{months}개월"


def rating_line(rating: Rating, lang: str = "en") -> str:
    """One line for alerts, e.g. '20-day hit rate 64% over 10y (n=11), grade B' (lang 'en' or 'ko')."""
    if lang not in ("en", "ko"):
        raise ValueError(f"lang must be 'en' or 'ko', got {lang!r}")
    span = _span(rating, lang)
    if rating.grade == INSUFFICIENT or rating.hit_rate is None:
        if lang == "ko":
            return f"{rating.horizon}일 기준: 데이터 부족 (최근 {span}, n={rating.count})"
        return f"{rating.horizon}-day: insufficient data over {span} (n={rating.count})"
    pct = round(rating.hit_rate * 100)
    if lang == "ko":
        return f"{rating.horizon}일 적중률 {pct}% (최근 {span}, n={rating.count}), 등급 {rating.grade}"
    return f"{rating.horizon}-day hit rate {pct}% over {span} (n={rating.count}), grade {rating.grade}"
