"""Grades and the one-line rating text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backtest import INSUFFICIENT, grade, rating_line
from core.types import Rating, SignalType


@pytest.mark.parametrize(
    ("count", "t", "want"),
    [
        (9, 5.0, INSUFFICIENT),
        (10, None, INSUFFICIENT),
        (10, float("nan"), INSUFFICIENT),
        (30, 3.0, "A"),
        (29, 3.5, "B"),
        (11, 2.0, "B"),
        (11, 1.99, "C"),
        (50, 1.0, "C"),
        (50, 0.99, "D"),
        (50, -0.99, "D"),
        (50, -1.0, "F"),
    ],
)
def test_grade_thresholds(count: int, t: float | None, want: str) -> None:
    assert grade(count, t) == want


def test_min_count_is_configurable() -> None:
    assert grade(5, 2.5, min_count=5) == "B"
    assert grade(5, 2.5, min_count=6) == INSUFFICIENT


def rating(**kw: object) -> Rating:
    base: dict[str, object] = {
        "symbol": "FCO2.DE",
        "signal": SignalType.GOLDEN_CROSS,
        "horizon": 20,
        "count": 11,
        "hit_rate": 0.6364,
        "mean_return": 0.03,
        "median_return": 0.02,
        "baseline_mean": 0.01,
        "excess": 0.02,
        "t_stat": 2.1,
        "worst_mae": -0.08,
        "grade": "B",
        "period_start": datetime(2015, 3, 2, tzinfo=UTC),
        "period_end": datetime(2025, 2, 28, tzinfo=UTC),
    }
    base.update(kw)
    return Rating(**base)  # type: ignore[arg-type]


def test_rating_line_english_and_korean() -> None:
    assert rating_line(rating()) == "20-day hit rate 64% over 10y (n=11), grade B"
    assert rating_line(rating(), "ko") == "20일 적중률 64% (최근 10년, n=11), 등급 B"


def test_rating_line_insufficient_and_short_period() -> None:
    r = rating(count=3, hit_rate=0.5, grade=INSUFFICIENT, period_start=datetime(2024, 9, 1, tzinfo=UTC))
    assert rating_line(r) == "20-day: insufficient data over 6m (n=3)"
    assert rating_line(r, "ko") == "20일 기준: 데이터 부족 (최근 6개월, n=3)"


def test_rating_line_refuses_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang"):
        rating_line(rating(), "de")
