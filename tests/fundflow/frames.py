"""Small hand-made frames in the store's schema, with answers worked out by hand in the tests."""

from __future__ import annotations

from datetime import date

import pandas as pd

from fundflow.catalogue import add_months

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
