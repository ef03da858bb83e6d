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

Risk: when the return-to-risk ratio r = mean adjusted return / |median max drawdown over the holding
period| is known and below `RISK_FLOOR` (0.25: the typical drawdown sat through is more than four
times the average gain), a grade A, B or C drops one letter (A -> B, B -> C, C -> D). D and F stay.
So an edge that is statistically clear but small against what holding the position cost in
drawdown rates lower than one earned at little risk.

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
RISK_FLOOR = 0.25
_LOWER = {"A": "B", "B": "C", "C": "D"}


def grade(
    count: int,
    t_stat: float | None,
    *,
    min_count: int = DEFAULT_MIN_COUNT,
    return_risk: float | None = None,
) -> str:
    """The grade of one statistic (see the module docstring for the thresholds and the risk rule)."""
    g = _evidence_grade(count, t_stat, min_count)
    if return_risk is not None and math.isfinite(return_risk) and return_risk < RISK_FLOOR:
        return _LOWER.get(g, g)
    return g


def _evidence_grade(count: int, t_stat: float | None, min_count: int) -> str:
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
    """One line for alerts, e.g. '20-day hit rate 64% over 10y (n=11), grade B, median drawdown -3.1%'
    (lang 'en' or 'ko'; the drawdown part only when the rating carries risk figures)."""
    if lang not in ("en", "ko"):
        raise ValueError(f"lang must be 'en' or 'ko', got {lang!r}")
    span = _span(rating, lang)
    if rating.grade == INSUFFICIENT or rating.hit_rate is None:
        if lang == "ko":
            return f"{rating.horizon}일 기준: 데이터 부족 (최근 {span}, n={rating.count})"
        return f"{rating.horizon}-day: insufficient data over {span} (n={rating.count})"
    pct = round(rating.hit_rate * 100)
    dd = rating.median_drawdown
    if lang == "ko":
        risk = "" if dd is None else f", 최대낙폭 중앙값 {dd * 100:.1f}%"
        return f"{rating.horizon}일 적중률 {pct}% (최근 {span}, n={rating.count}), 등급 {rating.grade}{risk}"
    risk = "" if dd is None else f", median drawdown {dd * 100:.1f}%"
    return f"{rating.horizon}-day hit rate {pct}% over {span} (n={rating.count}), grade {rating.grade}{risk}"
