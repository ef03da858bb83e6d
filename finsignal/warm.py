"""Compile every numba kernel into the on-disk cache ahead of the first request (`python -m
finsignal.warm`): run at `make install` and at image build, so a fresh process loads machine code
instead of compiling it (the first indicator pass 10 s -> well under a second, see bench/startup.py)."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

from core.types import Bar, Interval


def sample_bars(symbol: str = "WARM", n: int = 420) -> list[Bar]:
    """A synthetic daily series long enough for SMA 200 and every signal rule to run."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        c = 100 + 15 * math.sin(i / 30) + 0.05 * i
        v = 1000 + (5000 if i % 97 == 0 else 0)
        out.append(Bar(symbol, Interval.D1, start + timedelta(days=i), c - 0.5, c + 1, c - 1, c, v))
    return out


def warm() -> float:
    """Run the live engine, the history pass and a backtest once; seconds taken."""
    import numpy as np

    from backtest import run_backtest
    from signals import SignalConfig, SignalEngine, compute_history

    t0 = time.perf_counter()
    bars = sample_bars()
    closes = np.array([b.close for b in bars])
    compute_history(closes, np.array([b.volume for b in bars]), SignalConfig())
    engine = SignalEngine(SignalConfig())
    engine.warm_up("WARM", bars[:-1])
    engine.on_bar(bars[-1])
    engine.snapshot("WARM")
    run_backtest({"WARM": bars}, years=1, keep_series=True)
    return time.perf_counter() - t0


def main() -> int:
    print(f"numba kernels compiled and cached in {warm():.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
