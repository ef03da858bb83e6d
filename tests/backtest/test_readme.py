"""The backtest README stays true: documented record fields and grades are what the code produces."""

from __future__ import annotations

import re
from pathlib import Path

from backtest import run_backtest
from backtest.rating import GRADES
from core.types import Bar

README = Path(__file__).parents[2] / "backtest" / "README.md"


def table_rows(section: str) -> list[str]:
    text = README.read_text(encoding="utf-8").split(section, 1)[1].split("\n## ", 1)[0]
    return [m.group(1).strip() for m in re.finditer(r"^\| *([^|]+?) *\|", text, re.M)][2:]


def test_documented_record_fields_are_exactly_the_produced_ones(goog_bars: list[Bar]) -> None:
    rec = run_backtest({"GOOG": goog_bars}).records()[0]
    assert table_rows("## Records") == list(rec)


def test_documented_grades_exist() -> None:
    assert set(table_rows("## Grades")) == set(GRADES)
