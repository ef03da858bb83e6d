"""What people read, pinned: the answer sentences in English and Korean (the same on SQLite and MariaDB),
the table, the periods, the guard's rewriting, and the chart chosen for each result shape."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ask.answer import table_text
from ask.chart import chart_kind
from ask.guard import guard
from ask.periods import parse_period
from ask.service import AskService
from tests.ask import fixture_data as F

GOLDEN: dict[str, str] = json.loads((Path(__file__).parent / "golden_answers.json").read_text("utf-8"))


async def test_answer_sentences(service: AskService) -> None:
    got = {q: (await service.ask(q, watchlist=F.WATCHLIST, today=F.TODAY)).text for q in GOLDEN}
    assert got == GOLDEN


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("지난 3개월", "2026-09-07", "2026-12-07"),
        ("올해", "2026-01-01", "2026-12-07"),
        ("since March", "2026-03-01", "2026-12-07"),
        ("since december", "2026-12-01", "2026-12-07"),
        ("in 2010", "2010-01-01", "2010-12-31"),
        ("last week", "2026-11-30", "2026-12-06"),
        ("지난주", "2026-11-30", "2026-12-06"),
        ("last 7 days", "2026-11-30", "2026-12-07"),
        ("작년", "2025-01-01", "2025-12-31"),
        ("2024년 2월", "2024-02-01", "2024-02-29"),
        ("3월부터", "2026-03-01", "2026-12-07"),
        ("from 2026-01-05 to 2026-02-01", "2026-01-05", "2026-02-01"),
        ("2026-01-05~2026-02-01", "2026-01-05", "2026-02-01"),
        ("어제", "2026-12-06", "2026-12-06"),
        ("YTD", "2026-01-01", "2026-12-07"),
        ("past two months", "2026-10-07", "2026-12-07"),
    ],
)
def test_periods(text: str, start: str, end: str) -> None:
    period = parse_period(f"KAU25 {text} 종가", F.TODAY)
    assert period is not None
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


def test_no_period_is_none() -> None:
    assert parse_period("Apple close", date(2026, 12, 7)) is None


def test_the_guard_rewrites_for_mysql_and_expands_star() -> None:
    safe = guard("SELECT * FROM signal_events WHERE signal = 'golden_cross' /* hi */", dialect="mysql")
    assert safe.sql == (
        "SELECT id, symbol, `interval`, `signal`, ts, close, strength FROM signal_events "
        "WHERE `signal` = 'golden_cross' LIMIT 201"
    )
    assert guard("SELECT close FROM bars LIMIT 5").sql == "SELECT close FROM bars LIMIT 5"
    assert guard("SELECT close FROM bars LIMIT 5000", max_rows=100).sql == "SELECT close FROM bars LIMIT 101"


def test_table_text_keeps_first_and_last_rows() -> None:
    rows = [(datetime(2026, 1, d, tzinfo=UTC), 1000.0 + d) for d in range(1, 21)]
    text = table_text(("ts", "close"), rows, limit=4)
    assert text.splitlines() == [
        "ts          close",
        "2026-01-01  1,001",
        "2026-01-02  1,002",
        "…               …",
        "2026-01-19  1,019",
        "2026-01-20  1,020",
    ]


def test_chart_kind_follows_the_result_shape() -> None:
    t = datetime(2026, 1, 2, tzinfo=UTC)
    assert chart_kind(("ts", "close"), [(t, 1.0), (t, 2.0)]) == "line"
    assert chart_kind(("symbol", "ts", "close"), [("A", t, 1.0), ("B", t, 2.0)]) == "lines"
    assert chart_kind(("industry", "news_count"), [("banks", 3), ("autos", 1)]) == "bars"
    assert chart_kind(("avg_close", "days"), [(1.0, 3)]) is None
    flows = [("2026-12-01", 1e9, -2e9, 1e9), ("2026-12-02", -3e9, 1e9, 2e9)]
    assert chart_kind(("day", "foreign_value", "institution_value", "individual_value"), flows) == "line"
    assert chart_kind(("symbol", "foreign_net_value", "days"), [("A", 1e9, 3), ("B", -1e9, 3)]) == "bars"
    assert chart_kind(("ts", "close"), []) is None
