"""Small hand-made frames in the store's schema, with answers worked out by hand in the tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fundflow.catalogue import add_months
from fundflow.store import SCHEMA

START = date(2024, 1, 1)


def frame(series: dict[tuple[str, str, str], list[tuple[float, float | None]]]) -> pd.DataFrame:
    """{(market, series, unit): [(value, dollar_volume), ...]} one tuple per month from START."""
    rows = []
    for (market, name, unit), points in series.items():
        for i, (value, dollar) in enumerate(points):
            rows.append(
                {
                    "market": market,
                    "series": name,
                    "month": add_months(START, i),
                    "value": value,
                    "unit": unit,
                    "volume": None,
                    "dollar_volume": dollar,
                    "source": "test",
                }
            )
    out = pd.DataFrame(rows)
    out["dollar_volume"] = out["dollar_volume"].astype("float64")
    return out


def two_markets() -> pd.DataFrame:
    return frame(
        {
            ("stocks", "SPY", "USD"): [(100, 60), (110, 50), (99, 40), (99, 35), (108.9, 30)],
            ("stocks", "EWY", "USD"): [(10, 40), (12, 40), (12, 40), (12, 35), (12, 30)],
            ("bonds", "TLT", "USD"): [(50, 100), (50, 110), (55, 120), (55, 130), (49.5, 140)],
            ("bonds", "GS10", "percent"): [(4.0, None), (4.1, None), (4.2, None), (4.3, None), (4.4, None)],
        }
    )


def store(data: pd.DataFrame, directory: Path) -> Path:
    """Write `data` (a `frame`) as the store's per-market Parquet files, fetched_at fixed."""
    directory.mkdir(parents=True, exist_ok=True)
    for market, part in data.groupby("market"):
        rows = part.assign(
            volume=part["volume"].astype("float64"),
            fetched_at=pd.Timestamp("2024-06-02", tz="UTC"),
        )
        pq.write_table(
            pa.Table.from_pandas(rows, schema=SCHEMA, preserve_index=False), directory / f"{market}.parquet"
        )
    return directory


def leading(n: int = 24) -> pd.DataFrame:
    """Stocks' monthly returns repeat in bonds one month later (stocks lead bonds by one month)."""
    rets = [0.01 * ((i * 7) % 5 - 2) + 0.001 * i for i in range(n)]
    stocks, bonds = [100.0], [100.0]
    for i in range(1, n):
        stocks.append(stocks[-1] * (1 + rets[i]))
        bonds.append(bonds[-1] * (1 + rets[i - 1]))
    return frame(
        {
            ("stocks", "SPY", "USD"): [(p, 50.0) for p in stocks],
            ("bonds", "TLT", "USD"): [(p, 50.0) for p in bonds],
        }
    )
