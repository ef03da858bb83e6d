"""What firing combinations live costs at a bar close, against the signal engine alone, same run.

    .venv/bin/python bench/combos_live.py [--instruments 5000] [--bars 60] [--rounds 3]

Both engines are warmed on 250 bars of a random walk per instrument, then fed one bar per
instrument per close (`on_bars`, the scheduler pipeline's call); the `ComboEngine` watches every
pair of signal types with a common direction (the most a study can confirm). Reported: the median
milliseconds per close of each, interleaved over rounds so machine load hits both alike, and the
combination events seen.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402

from core.types import Bar, Interval, SignalType  # noqa: E402
from scheduler.ports import EnginePort  # noqa: E402
from signals import SignalConfig, SignalEngine  # noqa: E402
from signals.combo_engine import ComboEngine  # noqa: E402
from signals.combos import all_pairs  # noqa: E402

WARM = 250


def _bars(m: int, n: int) -> list[list[Bar]]:
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.02, (n, m)), axis=0))
    vol = rng.lognormal(7, 0.6, (n, m))
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    syms = [f"S{j:05d}" for j in range(m)]
    return [
        [
            Bar(syms[j], Interval.D1, t0 + timedelta(days=t), *(float(close[t, j]),) * 4, float(vol[t, j]))
            for j in range(m)
        ]
        for t in range(n)
    ]


def _engine(rows: list[list[Bar]], combos: bool, pairs: int) -> EnginePort:
    inner = SignalEngine(SignalConfig())
    engine: EnginePort = ComboEngine(inner) if combos else inner
    if isinstance(engine, ComboEngine):
        watched = all_pairs(SignalType)
        engine.set_combos(c.name for c in (watched[:pairs] if pairs else watched))
    for j, bar in enumerate(rows[0]):
        engine.warm_up(bar.symbol, [rows[t][j] for t in range(WARM)])
    return engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instruments", type=int, default=5000)
    ap.add_argument("--bars", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pairs", type=int, default=0, help="watch only the first N pairs (0: all)")
    args = ap.parse_args()
    rows = _bars(args.instruments, WARM + args.bars)
    times: dict[bool, list[float]] = {False: [], True: []}
    combos_seen = 0
    for _ in range(args.rounds):
        for combos in (False, True):
            engine = _engine(rows, combos, args.pairs)
            for t in range(WARM, len(rows)):
                t0 = time.perf_counter()
                events = engine.on_bars(rows[t])
                times[combos].append(time.perf_counter() - t0)
                combos_seen += sum(1 for e in events if e.pair is not None) if combos else 0
    plain, with_combos = (statistics.median(times[k]) * 1e3 for k in (False, True))
    print(f"{args.instruments} instruments, {args.bars} closes x {args.rounds} rounds")
    print(f"signal engine alone     {plain:8.2f} ms per close (reference)")
    pairs, per_round = args.pairs or len(all_pairs(SignalType)), combos_seen // args.rounds
    print(f"with combinations       {with_combos:8.2f} ms per close ({with_combos / plain:.2f}x), "
          f"{pairs} pairs, {per_round} combination events per round")  # fmt: skip


if __name__ == "__main__":
    main()
