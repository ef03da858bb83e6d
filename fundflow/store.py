"""Parquet storage, one file per market (`<dir>/<market>.parquet`), one schema for all.

Writes are atomic (a temporary file in the same directory, then `os.replace`); re-fetched months
replace the stored ones (key: series + month, the newest `fetched_at` wins), so nothing is duplicated.
Rows are validated before writing: no negative volume, no non-positive rate or price, finite values.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import ValidationError
from fundflow.catalogue import Market, MonthlyPoint, SeriesSpec, add_months

SCHEMA = pa.schema(
    [
        ("market", pa.string()),
        ("series", pa.string()),
        ("month", pa.date32()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("volume", pa.float64()),
        ("dollar_volume", pa.float64()),
        ("source", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
    ]
)
POSITIVE_UNITS = {"USD", "rate", "index"}
MAX_PERCENT = 100.0  # yields and spreads: negative ones exist, beyond +-100 % is a unit or feed error


def empty() -> pd.DataFrame:
    frame: pd.DataFrame = SCHEMA.empty_table().to_pandas()
    return frame


def validate(spec: SeriesSpec, points: Sequence[MonthlyPoint]) -> None:
    """Raise ValidationError naming the series and month of the first impossible row."""
    for p in points:
        where = f"{spec.key} {p.month:%Y-%m}"
        if not math.isfinite(p.value):
            raise ValidationError(f"{where}: value is not a number")
        if spec.unit in POSITIVE_UNITS and p.value <= 0:
            raise ValidationError(f"{where}: {spec.unit} value {p.value} must be positive")
        if spec.unit == "percent" and abs(p.value) > MAX_PERCENT:
            raise ValidationError(f"{where}: {p.value} % is not a possible yield or spread")
        for name, v in (("volume", p.volume), ("dollar_volume", p.dollar_volume)):
            if v is not None and (not math.isfinite(v) or v < 0):
                raise ValidationError(f"{where}: negative or invalid {name} {v}")


class FlowStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, market: Market | str) -> Path:
        return self.directory / f"{market}.parquet"

    def write(
        self, spec: SeriesSpec, points: Sequence[MonthlyPoint], source: str, fetched_at: datetime
    ) -> int:
        """Validate and merge one series' months into its market's file; returns the rows written."""
        validate(spec, points)
        new = pd.DataFrame(
            {
                "market": str(spec.market),
                "series": spec.series,
                "month": [p.month for p in points],
                "value": [p.value for p in points],
                "unit": spec.unit,
                "volume": pd.Series([p.volume for p in points], dtype="float64"),
                "dollar_volume": pd.Series([p.dollar_volume for p in points], dtype="float64"),
                "source": source,
                "fetched_at": pd.Series([fetched_at] * len(points), dtype="datetime64[us, UTC]"),
            }
        )
        old = self.read(spec.market)
        merged = pd.concat([old, new], ignore_index=True) if len(old) else new
        merged = merged.sort_values(["series", "month", "fetched_at"]).drop_duplicates(
            ["series", "month"], keep="last"
        )
        self._write_atomic(self.path(spec.market), merged.reset_index(drop=True))
        return len(points)

    def read(self, market: Market | str) -> pd.DataFrame:
        path = self.path(market)
        if not path.exists():
            return empty()
        frame: pd.DataFrame = pq.read_table(path, schema=SCHEMA).to_pandas()
        return frame

    def read_all(self) -> pd.DataFrame:
        frames = [self.read(m) for m in Market if self.path(m).exists()]
        if not frames:
            return empty()
        return pd.concat(frames, ignore_index=True)

    def _write_atomic(self, path: Path, frame: pd.DataFrame) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Delete `*.tmp<pid>` files whose writer process is gone (a run killed mid-write leaves one), so
    an interrupted collection ends with exactly the files of an uninterrupted one."""
    removed: list[Path] = []
    for path in directory.glob("*.tmp*"):
        pid = path.suffix.removeprefix(".tmp")
        if not pid.isdigit() or _alive(int(pid)):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def gaps(frame: pd.DataFrame) -> dict[str, list[date]]:
    """Missing months inside each series' stored range: {'market/series': [months]}."""
    out: dict[str, list[date]] = {}
    for (market, series), rows in frame.groupby(["market", "series"]):
        months = set(rows["month"])
        cur, last = min(months), max(months)
        missing = []
        while cur < last:
            cur = add_months(cur, 1)
            if cur not in months:
                missing.append(cur)
        if missing:
            out[f"{market}/{series}"] = missing
    return out
