"""CSV history import (pure parsing): Date,Open,High,Low,Close,Volume with an optional Adj Close
(also spelled AdjClose) or AdjFactor column; raw prices are kept and the adjustment stored as a factor."""

from __future__ import annotations

import csv
import logging
import math
from datetime import datetime
from pathlib import Path

from core.errors import DataError
from core.timeutil import day_start_utc
from core.types import Bar, Interval

logger = logging.getLogger(__name__)

REQUIRED = ("date", "open", "high", "low", "close", "volume")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S%z", "%Y%m%d")


def _day(text: str) -> datetime | None:
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return day_start_utc(datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    return None


def parse_csv(path: Path, symbol: str) -> tuple[list[Bar], list[tuple[int, str]]]:
    """Daily bars from a CSV file, and (line number, reason) for every row that could not be read."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    bars: list[Bar] = []
    problems: list[tuple[int, str]] = []
    with handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise DataError(
                f"{path.name}: expected columns Date,Open,High,Low,Close,Volume[,Adj Close]; "
                f"missing {', '.join(missing)}"
            )
        idx = {c: header.index(c) for c in header}
        adj_col = next((idx[c] for c in ("adj close", "adj_close", "adjclose") if c in idx), None)
        factor_col = next((idx[c] for c in ("adj factor", "adj_factor", "adjfactor") if c in idx), None)
        for line, row in enumerate(reader, start=2):
            if not row or not any(cell.strip() for cell in row):
                continue
            try:
                ts = _day(row[idx["date"]])
                o, h, low, c, v = (float(row[idx[k]].replace(",", "")) for k in REQUIRED[1:])
                adj = float(row[adj_col]) if adj_col is not None and row[adj_col].strip() else c
                if adj_col is None and factor_col is not None and row[factor_col].strip():
                    adj = c * float(row[factor_col])
            except (ValueError, IndexError):
                problems.append((line, "unreadable number or missing cell"))
                continue
            if ts is None:
                problems.append((line, "unreadable date"))
                continue
            factor = adj / c if c and math.isfinite(adj / c) and adj > 0 else 1.0
            bars.append(Bar(symbol, Interval.D1, ts, o, h, low, c, v, adj_factor=factor, source="csv"))
    for line, reason in problems:
        logger.debug("csv %s line %d rejected: %s", path.name, line, reason)
    if problems:
        lines = ", ".join(str(line) for line, _ in problems[:5]) + (", …" if len(problems) > 5 else "")
        logger.warning("csv %s: %d unreadable rows skipped (lines %s)", path.name, len(problems), lines)
    return bars, problems
