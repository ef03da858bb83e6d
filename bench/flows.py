"""Benchmark (issue #22): the ten-year fund-flow collection of the whole series list against stand-ins
that enforce each source's limit, compared with the bound those limits set; then the monthly-flow
analysis query through DuckDB over the Parquet files against the same query in pandas over the CSV
export.

    .venv/bin/python bench/flows.py                 # the real series list, ten years
    .venv/bin/python bench/flows.py --scale 400     # the query part also on 400x the rows

Limits (../shared/SOURCES.md): FRED about 2 req/s; Binance 6,000 weight/min with klines weight 2
(3,000 requests a minute); Yahoo, ECB and OilPriceAPI publish none (Yahoo: our 2/s; ECB: our 1/s;
OilPriceAPI's free tier is unconfirmed: our 0.5/s). Each stand-in enforces a token bucket of that rate
and a burst of max(1, rate) (429 + Retry-After beyond it), as the collector's guard paces.
The bound: sources run at once, so the slowest source sets it: max over sources of (N - burst) / rate,
with N the requests that source must answer (counted by the stand-in).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: `tests.fundflow`

from core.settings import load_settings
from core.timeutil import SystemClock
from fundflow import query, service
from fundflow.analysis import flows
from tests.fundflow.fake_flows import FakeFlows

RATES = {"yahoo": 2.0, "fred": 2.0, "ecb": 1.0, "binance": 3000 / 60, "oilprice": 0.5}


def burst(rate: float) -> float:
    return max(1.0, float(int(rate)))


async def warm_up(directory: Path) -> float:
    """One unlimited collection first: the process's one-time start (lazy imports, first connections,
    about 1 s here) is not rate-limited work and is reported apart."""
    with FakeFlows() as fake:
        t0 = time.perf_counter()
        settings = load_settings(**fake.settings_overrides(), fundflow_dir=directory)
        await service.collect(settings, SystemClock(), years=1)
        return time.perf_counter() - t0


async def collect(directory: Path, pace: float) -> tuple[float, float, dict[str, int], dict[str, int], int]:
    with FakeFlows(latency_s=0.02) as fake:
        fake.limits = {route: (rate, burst(rate)) for route, rate in RATES.items()}
        settings = load_settings(
            **{
                **fake.settings_overrides(),
                "fundflow_dir": directory,
                "fundflow_pace": pace,
                **{f"{route}_rate_per_s": rate for route, rate in RATES.items()},
            }
        )
        t0 = time.perf_counter()
        result = await service.collect(settings, SystemClock(), years=10)
        wall = time.perf_counter() - t0
        per_route: dict[str, int] = {}
        for r in fake.requests:
            per_route[r.route] = per_route.get(r.route, 0) + 1
        limited = dict(fake.limited)
    assert not result.failed, result.failed
    answered = {k: v - limited.get(k, 0) for k, v in per_route.items()}
    bound = max((n - burst(RATES[k])) / RATES[k] for k, n in answered.items())
    return wall, max(bound, 0.0), answered, limited, sum(result.stored.values())


def scaled(directory: Path, factor: int, out: Path) -> Path:
    """The stored rows repeated `factor` times under new series names (same months and markets)."""
    frame = query.rows(directory)
    assert frame is not None
    copies = [frame.assign(series=frame["series"] + f"#{i}") for i in range(factor)]
    big = pd.concat(copies, ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    for market, part in big.groupby("market"):
        part.to_parquet(out / f"{market}.parquet", index=False)
    return out


def time_it(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def compare_query(directory: Path, csv_path: Path, label: str) -> None:
    frame = query.rows(directory)
    assert frame is not None
    frame.to_csv(csv_path, index=False)
    n = len(frame)
    duck = query.monthly_flows(directory)
    pand = flows(pd.read_csv(csv_path, parse_dates=["month"]).assign(month=lambda f: f["month"].dt.date))
    pd.testing.assert_frame_equal(duck, pand, check_names=False, check_freq=False)  # same answer
    t_duck = time_it(lambda: query.monthly_flows(directory))
    t_pandas = time_it(lambda: flows(pd.read_csv(csv_path, parse_dates=["month"])))
    print(
        f"query {label}: {n:,} rows; DuckDB over Parquet {t_duck * 1000:.1f} ms, pandas over CSV "
        f"{t_pandas * 1000:.1f} ms (median of 5): pandas/DuckDB = {t_pandas / t_duck:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=400, help="also query this many copies of the rows")
    parser.add_argument(
        "--pace", type=float, nargs="+", default=[0.95, 1.0], help="pacing shares of the limits to run"
    )
    args = parser.parse_args()
    print(f"duckdb {duckdb.__version__}, pandas {pd.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "flows"
        warm = asyncio.run(warm_up(Path(tmp) / "warm"))
        print(f"warm-up (first collection in the process, 1 year, no limits): {warm:.2f} s")
        for i, pace in enumerate(args.pace):
            run_dir = directory if i == 0 else Path(tmp) / f"pace{i}"
            wall, bound, answered, limited, months = asyncio.run(collect(run_dir, pace))
            print(f"collect pace {pace:g}: {months} series-months; requests answered {answered}")
            print(f"collect pace {pace:g}: 429s from the stand-ins' limits {limited or 'none'}")
            print(
                f"collect pace {pace:g}: {wall:.2f} s against the limits' bound {bound:.2f} s: "
                f"{wall / bound:.2f}x ({(wall / bound - 1) * 100:+.1f}%, goal within 10%)"
            )
        compare_query(directory, Path(tmp) / "flows.csv", "ten years, real list")
        if args.scale > 1:
            big = scaled(directory, args.scale, Path(tmp) / "big")
            compare_query(big, Path(tmp) / "big.csv", f"x{args.scale}")


if __name__ == "__main__":
    main()
