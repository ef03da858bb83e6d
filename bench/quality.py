"""What the one rule for bad bars (core/quality.py) costs a backtest, against the same run without it.

    .venv/bin/python bench/quality.py [--symbols 300] [--bars 2520] [--rounds 3]

Prints the wall time of `run_backtest` on generated histories with the rule (as shipped) and with
the rule replaced by a plain sort (the reference), in the same process after a warm-up.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

# bench/backtest.py is named like the package it measures: keep this folder off the import path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import backtest.data as data  # noqa: E402
from backtest import run_backtest  # noqa: E402
from core.quality import CleanArrays, QualityReport, QualityRules  # noqa: E402
from core.types import Bar, Interval  # noqa: E402


def histories(m: int, n: int) -> dict[str, list[Bar]]:
    rng = np.random.default_rng(1)
    t0 = datetime(2010, 1, 1, tzinfo=UTC)
    stamps = [t0 + timedelta(days=i) for i in range(n)]
    out = {}
    for j in range(m):
        c = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
        out[f"S{j}"] = [
            Bar(f"S{j}", Interval.D1, stamps[i], c[i], c[i] * 1.01, c[i] * 0.99, c[i], 1e6) for i in range(n)
        ]
    return out


def plain_sort(symbol: str, us: Any, values: Any, rules: QualityRules) -> CleanArrays:
    order = np.argsort(us, kind="stable")
    return CleanArrays(order, us[order], values[order], [""] * us.size, [], QualityReport(symbol), ())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--symbols", type=int, default=300)
    p.add_argument("--bars", type=int, default=2520)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    hist = histories(a.symbols, a.bars)
    run_backtest({"S0": hist["S0"]})  # numba and imports warm
    shipped = data.clean_arrays
    with_rule, reference = [], []
    for _ in range(a.rounds):  # alternate, keep the best of each: the machine is shared
        t = time.perf_counter()
        run_backtest(hist)
        with_rule.append(time.perf_counter() - t)
        data.clean_arrays = plain_sort  # type: ignore[assignment]
        try:
            t = time.perf_counter()
            run_backtest(hist)
            reference.append(time.perf_counter() - t)
        finally:
            data.clean_arrays = shipped  # type: ignore[assignment]
    print(f"run_backtest, {a.symbols} symbols x {a.bars} bars")
    best, ref = min(with_rule), min(reference)
    print(f"  with the bad-bar rule:            {best:6.2f} s (best of {a.rounds})")
    print(f"  reference (plain sort, same run): {ref:6.2f} s  (rule costs {best / ref - 1:+.0%})")


if __name__ == "__main__":
    main()
