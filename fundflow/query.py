"""Analysis queries over the Parquet datasets with DuckDB (one in-memory connection per call).

DuckDB reads every `<market>.parquet` of the directory as one table `flows` (same schema, see
`fundflow.store.SCHEMA`) without loading the files into pandas first; only the (small) answer becomes
a DataFrame. `bench/flows.py` measures the monthly-flow query against pandas over the CSV export.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from fundflow.catalogue import Market

COLUMNS = "market, series, month, value, unit, volume, dollar_volume, source, fetched_at"

MONTHLY_FLOWS = """
SELECT month, market, sum(dollar_volume) AS dollar_volume
FROM flows
WHERE dollar_volume IS NOT NULL
GROUP BY month, market
ORDER BY month, market
"""


def files(directory: Path) -> list[Path]:
    """The market datasets present (temporary files of an interrupted write are not datasets)."""
    return [p for m in Market if (p := directory / f"{m}.parquet").exists()]


def connect(directory: Path) -> duckdb.DuckDBPyConnection | None:
    """A connection with the view `flows` over every dataset, or None when nothing is stored yet."""
    paths = files(directory)
    if not paths:
        return None
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")  # fetched_at comes back in UTC whatever the host's zone
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
    con.execute(f"CREATE VIEW flows AS SELECT {COLUMNS} FROM read_parquet([{listed}])")
    return con


def rows(directory: Path) -> pd.DataFrame | None:
    """Every stored row (for the analysis functions), ordered by market, series and month."""
    con = connect(directory)
    if con is None:
        return None
    with con:
        frame: pd.DataFrame = con.execute(f"SELECT {COLUMNS} FROM flows ORDER BY market, series, month").df()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame


def monthly_flows(directory: Path) -> pd.DataFrame:
    """Months x markets: summed dollar volume (the flow proxy), as `analysis.flows` computes it."""
    con = connect(directory)
    if con is None:
        return pd.DataFrame()
    with con:
        long = con.execute(MONTHLY_FLOWS).df()
    long["month"] = pd.to_datetime(long["month"]).dt.date
    table = long.pivot(index="month", columns="market", values="dollar_volume").sort_index()
    table.columns.name = "market"
    return table
