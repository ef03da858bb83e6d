"""Shared helpers: the import path without the database (parse -> validate), figures to compare."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from core.types import Bar
from market.csv_import import parse_csv
from market.validate import validate_bars

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def imported(path: Path, symbol: str = "SYN", date_format: str | None = None) -> list[Bar]:
    """What `finsignal import-csv` would store for the file."""
    parsed = parse_csv(path, symbol, date_format=date_format)
    return validate_bars(parsed.bars, now=NOW, today=date(2030, 1, 1)).kept


def figures(records: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[str, float | None]]:
    return {(r["signal"], r["horizon"]): (r["grade"], r["t_stat"]) for r in records}


def max_t_move(a: list[dict[str, Any]], b: list[dict[str, Any]], min_count: int = 10) -> float:
    """The largest move of a t-statistic between two runs, over the records that carry a grade
    (count >= min_count): below that a rating says 'insufficient data' and shows no figure."""
    fa, fb = figures(a), figures(b)
    graded = {(r["signal"], r["horizon"]) for r in a if r["count"] >= min_count}
    moves = [abs(fa[k][1] - fb[k][1]) for k in graded if fa[k][1] is not None and fb[k][1] is not None]  # type: ignore[operator]
    return max(moves, default=0.0)


def grades(records: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    return {k: g for k, (g, _) in figures(records).items()}
