"""The series list (a data file, `series.json`) and the typed records the sources produce."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from core.errors import ConfigError

SERIES_FILE = Path(__file__).with_name("series.json")


class Market(StrEnum):
    STOCKS = "stocks"
    BONDS = "bonds"
    FX = "fx"
    CRYPTO = "crypto"
    COMMODITIES = "commodities"
    REAL_ESTATE = "real_estate"


SOURCES = ("yahoo", "fred", "ecb", "binance", "oilprice")


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """One series to collect: `symbol` is the source's own id, `fallback` a Yahoo ticker."""

    market: Market
    series: str
    source: str
    symbol: str
    unit: str
    fallback: str = ""

    @property
    def key(self) -> str:
        return f"{self.market}/{self.series}"


@dataclass(frozen=True, slots=True)
class MonthlyPoint:
    """One month of one series (month = the 1st of the month). Volumes may be unknown (None)."""

    month: date
    value: float
    volume: float | None = None
    dollar_volume: float | None = None


def load_series(path: Path = SERIES_FILE) -> list[SeriesSpec]:
    """Read and check the series file; a bad entry is a ConfigError naming it."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"fund-flow series file {path} unreadable: {exc}") from None
    specs: list[SeriesSpec] = []
    for i, item in enumerate(raw):
        try:
            spec = SeriesSpec(
                market=Market(item["market"]),
                series=str(item["series"]),
                source=str(item["source"]),
                symbol=str(item["symbol"]),
                unit=str(item["unit"]),
                fallback=str(item.get("fallback", "")),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(f"fund-flow series file {path}, entry {i}: {exc!r}") from None
        if spec.source not in SOURCES:
            raise ConfigError(f"fund-flow series file {path}, entry {i}: unknown source {spec.source!r}")
        specs.append(spec)
    keys = [s.key for s in specs]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"fund-flow series file {path}: duplicate series")
    return specs


def add_months(month: date, n: int) -> date:
    total = month.year * 12 + month.month - 1 + n
    return date(total // 12, total % 12 + 1, 1)


def month_of(day: date) -> date:
    return date(day.year, day.month, 1)
