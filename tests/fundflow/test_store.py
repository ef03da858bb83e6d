"""Parquet store: one schema, merge without duplicates, validation, gaps, atomic files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from core.errors import ValidationError
from fundflow.catalogue import Market, MonthlyPoint, SeriesSpec
from fundflow.store import SCHEMA, FlowStore, gaps
from tests.fundflow.fake_flows import FakeFlows

SPY = SeriesSpec(Market.STOCKS, "SPY", "yahoo", "SPY", "USD")
T0, T1 = datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC)


def test_refetched_months_replace_stored_ones(tmp_path: Path) -> None:
    store = FlowStore(tmp_path)
    store.write(SPY, [MonthlyPoint(date(2024, m, 1), 10.0 + m, 5.0, 50.0) for m in (1, 2, 3)], "yahoo", T0)
    store.write(SPY, [MonthlyPoint(date(2024, m, 1), 20.0 + m, 5.0, 50.0) for m in (3, 4)], "yahoo", T1)
    frame = store.read(Market.STOCKS)
    assert frame["month"].tolist() == [date(2024, m, 1) for m in (1, 2, 3, 4)]
    assert frame["value"].tolist() == [11.0, 12.0, 23.0, 24.0]  # March re-fetched: the newer wins
    assert pq.read_schema(store.path(Market.STOCKS)).names == SCHEMA.names
    assert [p.name for p in tmp_path.iterdir()] == ["stocks.parquet"]  # no temporary file left


@pytest.mark.parametrize(
    ("point", "message"),
    [
        (MonthlyPoint(date(2024, 1, 1), 10.0, -1.0, 5.0), "negative or invalid volume"),
        (MonthlyPoint(date(2024, 1, 1), -3.0, 1.0, 5.0), "must be positive"),
        (MonthlyPoint(date(2024, 1, 1), float("nan")), "not a number"),
    ],
)
def test_impossible_rows_are_rejected_and_nothing_is_written(
    tmp_path: Path, point: MonthlyPoint, message: str
) -> None:
    store = FlowStore(tmp_path)
    with pytest.raises(ValidationError, match=f"stocks/SPY 2024-01: .*{message}"):
        store.write(SPY, [point], "yahoo", T0)
    assert not store.path(Market.STOCKS).exists()


def test_negative_yield_spread_is_allowed() -> None:
    spec = SeriesSpec(Market.BONDS, "BAA10Y", "fred", "BAA10Y", "percent")
    from fundflow.store import validate

    validate(spec, [MonthlyPoint(date(2024, 1, 1), -0.2)])


def test_gaps_are_listed(tmp_path: Path) -> None:
    store = FlowStore(tmp_path)
    store.write(SPY, [MonthlyPoint(date(2024, m, 1), 1.0) for m in (1, 2, 5, 6)], "yahoo", T0)
    assert gaps(store.read_all()) == {"stocks/SPY": [date(2024, 3, 1), date(2024, 4, 1)]}


def test_impossible_yield_is_rejected() -> None:
    from fundflow.store import validate

    spec = SeriesSpec(Market.BONDS, "GS10", "fred", "GS10", "percent")
    with pytest.raises(ValidationError, match=r"bonds/GS10 2024-01: 425\.0 % is not a possible yield"):
        validate(spec, [MonthlyPoint(date(2024, 1, 1), 425.0)])  # basis points sent as percent


async def test_an_empty_month_at_the_source_is_a_listed_gap(make_settings: Any, fake: FakeFlows) -> None:
    from core.timeutil import SystemClock
    from fundflow import service
    from fundflow.collect import window

    settings = make_settings()
    first, _last = window(SystemClock(), 2)
    hole = date(first.year + 1, 3, 1)
    fake.empty.add(("SPY", hole))  # Yahoo answers the month with a null close
    result = await service.collect(settings, SystemClock(), years=2, markets=["stocks"])
    assert result.stored["stocks/SPY"] == 23  # the other 23 months stored
    assert service.status(settings).gaps == {"stocks/SPY": [hole]}
