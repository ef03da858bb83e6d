"""CSV history import (pure parsing).

Columns (case-insensitive, any order): Date and Close are required (Price or an adjusted close alone
also serve as the close); Open, High, Low and Volume are optional, so close-only series (carbon
prices, FX closes, adjusted-close lists) import: missing Open/High/Low take the close and a missing
Volume is 0 (volume signals are then not produced). An Adj Close (also AdjClose, adj_close) or
AdjFactor column gives the adjustment: raw prices are kept and the adjustment stored as a factor; a
blank or invalid cell leaves the factor missing, and the one rule for bad bars (`core.quality`)
carries it from a neighbour and flags the bar. Numbers may carry thousands separators (1,005.5 or
1_005.5 or 1 005.5), the same in every column. Dates: the format is detected over the whole column
(ISO, YYYY/MM/DD, YYYYMMDD, MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY, ...); a file whose dates read both
ways (every day <= 12) needs `date_format`.
"""

from __future__ import annotations

import csv
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core.errors import DataError, UsageError
from core.timeutil import day_start_utc
from core.types import Bar, Interval

logger = logging.getLogger(__name__)

DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYY/MM/DD": "%Y/%m/%d",
    "YYYYMMDD": "%Y%m%d",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
    "MM-DD-YYYY": "%m-%d-%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "YYYY-MM-DD HH:MM:SS": "%Y-%m-%d %H:%M:%S",
    "YYYY-MM-DD HH:MM:SS+ZZ": "%Y-%m-%d %H:%M:%S%z",
    "YYYY-MM-DDTHH:MM:SS": "%Y-%m-%dT%H:%M:%S",
}
_CLOSE = ("close", "price", "last", "종가")
_ADJ = ("adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close")
_FACTOR = ("adj factor", "adj_factor", "adjfactor")


@dataclass(slots=True)
class ParsedCsv:
    """Bars read from a file, (line, reason) for rows that could not be read, and how it was read."""

    bars: list[Bar] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    date_format: str = ""
    price_only: bool = False  # no volume column: volume signals will not be produced

    def __iter__(self):  # type: ignore[no-untyped-def]
        """`bars, problems = parse_csv(...)` keeps working."""
        return iter((self.bars, self.problems))


_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def number(text: str) -> float | None:
    """A number with optional thousands separators ("1,005.5", "1_005.5", "1 005.5"); None if blank.

    A comma that does not group thousands ("12,5") is refused (ValueError), never read as 125."""
    cleaned = text.strip().replace("_", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned or cleaned in ("-", "null", "NaN", "nan", "N/A"):
        return None
    if "," in cleaned:
        if not _GROUPED.fullmatch(cleaned):
            raise ValueError(f"not a number: {text!r}")
        cleaned = cleaned.replace(",", "")
    return float(cleaned)


def date_format_of(cells: list[str], wanted: str | None = None) -> str:
    """The strptime format of a date column (see DATE_FORMATS); UsageError when unreadable or ambiguous."""
    if wanted:
        fmt = DATE_FORMATS.get(wanted.upper(), wanted)
        if "%" not in fmt:
            known = ", ".join(DATE_FORMATS)
            raise UsageError(f"--date-format: unknown format {wanted!r}; use one of {known}")
        return fmt
    sample = [c.strip() for c in cells if c.strip()]
    scores: dict[str, int] = {}
    for fmt in DATE_FORMATS.values():
        scores[fmt] = sum(1 for c in sample if _parses(c, fmt))
    best = max(scores.values(), default=0)
    if not sample or best == 0:
        raise UsageError("no readable dates: give their format with --date-format, e.g. MM/DD/YYYY")
    top = [f for f, n in scores.items() if n == best]
    if len(top) > 1:
        names = [name for name, f in DATE_FORMATS.items() if f in top]
        raise UsageError(f"the dates read as {' or '.join(names)}: say which with --date-format")
    return top[0]


def _parses(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def _columns(header: list[str], name: str) -> dict[str, int | None]:
    idx = {c: i for i, c in enumerate(header)}

    def first(names: tuple[str, ...]) -> int | None:
        return next((idx[c] for c in names if c in idx), None)

    cols = {
        "date": first(("date", "day", "datetime", "time", "일자", "날짜")),
        "open": first(("open",)),
        "high": first(("high",)),
        "low": first(("low",)),
        "close": first(_CLOSE),
        "volume": first(("volume", "vol", "vol.")),
        "adj": first(_ADJ),
        "factor": first(_FACTOR),
    }
    if cols["close"] is None:
        cols["close"] = cols["adj"]  # an adjusted-close list: its values are the close
    missing = [c for c in ("date", "close") if cols[c] is None]
    if missing:
        raise DataError(
            f"{name}: expected columns Date and Close (Open, High, Low, Volume, Adj Close optional); "
            f"missing {', '.join(missing)}"
        )
    return cols


def parse_csv(path: Path, symbol: str, *, date_format: str | None = None) -> ParsedCsv:
    """Daily bars from a CSV file, and (line number, reason) for every row that could not be read."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path.name}: not UTF-8 text") from None
    header = [h.strip().lower() for h in (rows[0] if rows else [])]
    cols = _columns(header, path.name)
    body = [(line, row) for line, row in enumerate(rows[1:], start=2) if row and any(c.strip() for c in row)]
    di = cols["date"]
    assert di is not None
    fmt = date_format_of([r[di] if di < len(r) else "" for _, r in body], date_format)
    out = ParsedCsv(date_format=fmt, price_only=cols["volume"] is None)
    for line, row in body:
        bar = _bar(row, cols, fmt, symbol)
        if isinstance(bar, str):
            out.problems.append((line, bar))
        else:
            out.bars.append(bar)
    for line, reason in out.problems:
        logger.debug("csv %s line %d rejected: %s", path.name, line, reason)
    if out.problems:
        lines = ", ".join(str(line) for line, _ in out.problems[:5]) + (
            ", …" if len(out.problems) > 5 else ""
        )
        logger.warning("csv %s: %d unreadable rows skipped (lines %s)", path.name, len(out.problems), lines)
    return out


def _bar(row: list[str], cols: dict[str, int | None], fmt: str, symbol: str) -> Bar | str:
    def cell(name: str) -> float | None:
        i = cols[name]
        return number(row[i]) if i is not None and i < len(row) else None

    try:
        ts = datetime.strptime(row[cols["date"] or 0].strip(), fmt)
    except (ValueError, IndexError):
        return "unreadable date"
    try:
        c, o, h, low, v = cell("close"), cell("open"), cell("high"), cell("low"), cell("volume")
    except ValueError:
        return "unreadable number"
    if c is None:
        return "no close"
    try:
        adj, factor = cell("adj"), cell("factor")
    except ValueError:
        adj = factor = None  # an unreadable adjustment is carried from a neighbour (core.quality)
    if cols["adj"] is not None and cols["adj"] != cols["close"]:
        f = adj / c if adj is not None and adj > 0 and c > 0 else math.nan
    elif cols["factor"] is not None:
        f = factor if factor is not None and factor > 0 else math.nan
    else:
        f = 1.0
    nan = math.nan
    return Bar(
        symbol, Interval.D1, day_start_utc(ts.date()),
        c if cols["open"] is None else (nan if o is None else o),
        c if cols["high"] is None else (nan if h is None else h),
        c if cols["low"] is None else (nan if low is None else low),
        c, 0.0 if v is None else v, adj_factor=f, source="csv",
    )  # fmt: skip


@dataclass(slots=True)
class ImportOutcome:
    """What importing one file did: stored / rejected / repaired counts and the bad-bar report."""

    file: str
    symbol: str
    stored: int = 0
    rejected: int = 0  # rows that were read and refused (invalid price, duplicate, closed day, ...)
    unreadable: int = 0  # rows that could not be read at all
    repaired: int = 0
    outliers: int = 0  # stored, flagged 'outlier', held out of indicators and returns
    date_format: str = ""
    price_only: bool = False
    reasons: dict[str, int] = field(default_factory=dict)
    quality: dict[str, object] = field(default_factory=dict)

    def summary(self) -> str:
        """One line, e.g. 'AAPL.csv: 2519 stored, 1 rejected, 3 repaired for AAPL'."""
        extra = [f"{self.unreadable} unreadable"] if self.unreadable else []
        if self.outliers:
            extra.append(f"{self.outliers} flagged outlier (held out of signals)")
        if self.price_only:
            extra.append("price only: no volume signals")
        tail = f" ({'; '.join(extra)})" if extra else ""
        return (
            f"{self.file}: {self.stored} stored, {self.rejected + self.unreadable} rejected, "
            f"{self.repaired} repaired for {self.symbol}{tail}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file, "symbol": self.symbol, "stored": self.stored,
            "rejected": self.rejected + self.unreadable, "unreadable": self.unreadable,
            "repaired": self.repaired, "outliers": self.outliers, "date_format": self.date_format,
            "price_only": self.price_only, "reasons": dict(self.reasons), "quality": self.quality,
        }  # fmt: skip
