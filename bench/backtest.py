"""Benchmark of the event study: finsignal vs vectorbt (+ pandas) on synthetic daily histories.

    .venv/bin/python bench/backtest.py [--instruments 5000] [--ref-instruments 500] [--bars 2520]
                                       [--runs 3] [--no-reference] [--source-imports]
                                       [--combo-instruments 500] [--only-combinations]

Work measured (both sides): indicators (SMA 50/200, RSI 14, 20-bar volume average), the seven
signal types' events, and per (signal, horizon, instrument) the event count, hit rate, mean,
median, baseline, t-statistic and worst MAE at horizons 5, 20, 60. finsignal runs the live signal
engine's batch path (`signals.compute_history`) and `backtest.study.event_study`. The reference
uses vectorbt 1.0 for the indicators and crossings (vbt.MA, vbt.RSI, crossed_above/below) and
pandas for the forward statistics (vectorbt has no event-study function). First calls are timed
as such: finsignal in `--runs` fresh processes (median), each: imports, numba start-up (the first
jitted calls load the kernels from the on-disk cache; a fresh checkout compiles them once, ~10 s),
then the first and a second call on 5,000 instruments; vectorbt's first call includes its JIT.
Needs the optional extra: `uv pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

HORIZONS = (5, 20, 60)
WARMUP = 200  # first row of the study period (SignalConfig().warmup - 1)
# this script is named like the package it measures: keep its own folder off the import path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def synthetic(n_inst: int, n_bars: int, seed: int = 42) -> dict[str, NDArray[Any]]:
    rng = np.random.default_rng(seed)
    ret = rng.normal(0.0003, 0.02, (n_inst, n_bars)).T
    close = np.asfortranarray(100.0 * np.exp(np.cumsum(ret, axis=0)))
    wig = np.abs(rng.normal(0.0, 0.01, (2, n_inst, n_bars))).transpose(0, 2, 1)
    return {
        "close": close,
        "open": np.asfortranarray(close * (1.0 + rng.normal(0.0, 0.005, (n_inst, n_bars)).T)),
        "high": np.asfortranarray(close * (1.0 + wig[0])),
        "low": np.asfortranarray(close * (1.0 - wig[1])),
        "volume": np.asfortranarray(rng.lognormal(12.0, 0.5, (n_inst, n_bars)).T),
    }


def run_finsignal(d: dict[str, NDArray[Any]]) -> tuple[float, float, int]:
    from backtest.study import event_study
    from signals import SignalConfig, compute_history

    t0 = time.perf_counter()
    hist = compute_history(d["close"], d["volume"], SignalConfig())
    t1 = time.perf_counter()
    first = np.full(d["close"].shape[1], SignalConfig().warmup - 1)
    stats = event_study(d["close"], d["high"], d["low"], hist.events, first, HORIZONS)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, int(stats.count.sum())


def _stats(mask: pd.DataFrame, close: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame, d: int) -> int:
    mask = mask.copy()
    mask.iloc[:WARMUP] = False  # the study period starts where every rule can fire, as in finsignal
    total = 0
    for h in HORIZONS:
        fwd = close.shift(-h) / close - 1.0
        ok = mask & fwd.notna()
        s = (fwd * d).where(ok)
        n = ok.sum()
        mean = s.mean()
        base = fwd.iloc[WARMUP:].mean() * d
        t = (mean - base) / (s.std() / np.sqrt(n))
        hit = (s > 0).where(ok).mean()
        med = s.median()
        ext = (low if d > 0 else high)[::-1].rolling(h).agg("min" if d > 0 else "max")[::-1].shift(-1)
        mae = ((ext / close - 1.0) * d).clip(upper=0.0).where(ok).min()
        total += int(n.sum())
        del t, hit, med, mae
    return total


def run_vectorbt(d: dict[str, NDArray[Any]]) -> tuple[float, int]:
    import vectorbt as vbt

    t0 = time.perf_counter()
    close, volume = pd.DataFrame(d["close"]), pd.DataFrame(d["volume"])
    low, high = pd.DataFrame(d["low"]), pd.DataFrame(d["high"])
    ma = vbt.MA.run(close, window=[50, 200], per_column=False, param_product=True)
    fast, slow = ma.ma[50], ma.ma[200]
    fast.columns = slow.columns = close.columns
    # an EWM with span 27 has alpha 2/28 = 1/14: Wilder's smoothing of RSI 14 (seeded differently)
    rsi = vbt.RSI.run(close, window=27, ewm=True).rsi
    rsi.columns = close.columns
    vbase = volume.rolling(20).mean().shift(1)
    spike = (vbase > 0) & (volume >= 2.0 * vbase)
    events = {
        1: [close.vbt.crossed_above(slow), fast.vbt.crossed_above(slow), rsi.vbt.crossed_below(30.0)],
        -1: [close.vbt.crossed_below(slow), fast.vbt.crossed_below(slow), rsi.vbt.crossed_above(70.0)],
    }
    spike_ev = spike & ~spike.shift(1, fill_value=False)
    up = close >= close.shift(1)
    count = 0
    for direction, masks in events.items():
        for m in masks:
            count += _stats(m, close, low, high, direction)
    count += _stats(spike_ev & up, close, low, high, 1) + _stats(spike_ev & ~up, close, low, high, -1)
    return time.perf_counter() - t0, count


def _best(fn: Any, runs: int = 3) -> float:
    """Best of `runs` calls, in CPU seconds of this process (both cores counted): on a shared, loaded
    machine wall time mostly measures the other processes."""
    times = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def bench_risk_and_combinations(n_inst: int, n_bars: int) -> None:
    """Issue 24: the cost of the risk figures in the study, and the combinations run, on `n_inst`
    instruments; the reference is the plain single-signal study on the same data in this run."""
    from backtest.combos import study_combinations
    from backtest.study import event_study
    from core.types import SignalType
    from signals import SignalConfig, compute_history

    d = synthetic(n_inst, n_bars, seed=7)
    first = np.full(n_inst, SignalConfig().warmup - 1)
    hist = compute_history(d["close"], d["volume"], SignalConfig())
    ev = hist.events
    entry = np.full_like(d["close"], np.nan)
    entry[:-1] = d["open"][1:]
    entry = np.asfortranarray(entry)

    def study(risk: bool) -> None:
        event_study(d["close"], d["high"], d["low"], ev, first, HORIZONS, entry=entry, risk=risk)

    def combos() -> None:
        h = compute_history(d["close"], d["volume"], SignalConfig())
        r = study_combinations(
            d["close"], entry, h.events, first, HORIZONS, signals=tuple(SignalType), window=5
        )
        combos.tried = r.tried  # type: ignore[attr-defined]

    study(True)
    study(False)
    with_risk, without = _best(lambda: study(True)), _best(lambda: study(False))
    t_hist = _best(lambda: compute_history(d["close"], d["volume"], SignalConfig()))
    print(f"risk figures ({n_inst} x {n_bars}, 7 signals x 3 horizons, warm, best of 3, CPU s): study with "
          f"drawdowns {with_risk:.2f} s, without {without:.2f} s: +{with_risk - without:.2f} s "
          f"({(with_risk / without - 1) * 100:+.0f}%)")  # fmt: skip
    combos()
    t_c = _best(combos, 2)
    tried = combos.tried  # type: ignore[attr-defined]
    print(f"combinations ({n_inst} x {n_bars}, {tried} pair x horizon tried, window 5, CPU s): {t_c:.2f} s "
          f"incl. indicators; reference in this run: single-signal backtest (indicators {t_hist:.2f} + study "
          f"{with_risk:.2f}) {t_hist + with_risk:.2f} s")  # fmt: skip
    print(f"goal: combinations over {n_inst} instruments under 30 s: {'met' if t_c < 30 else 'NOT met'}")


def child(a: argparse.Namespace) -> None:
    """One fresh process: import, numba start-up, first and second call; timings as JSON on stdout."""
    w0, c0 = time.perf_counter(), time.process_time()
    import backtest.study  # noqa: F401
    import signals  # noqa: F401

    out: dict[str, float] = {"import": time.perf_counter() - w0, "import_cpu": time.process_time() - c0}
    big = synthetic(a.instruments, a.bars)
    tiny = synthetic(2, 300)  # two columns: Fortran layout, the same compiled signature as the big run
    w, c = time.perf_counter(), time.process_time()
    run_finsignal(tiny)
    out["boot"], out["boot_cpu"] = time.perf_counter() - w, time.process_time() - c
    for name in ("first", "second"):
        w, c = time.perf_counter(), time.process_time()
        h, s, n = run_finsignal(big)
        out[name], out[f"{name}_cpu"] = time.perf_counter() - w, time.process_time() - c
        out[f"{name}_history"], out[f"{name}_study"], out["windows"] = h, s, n
    out["process_cpu"] = time.process_time() - c0
    print(json.dumps(out))


def fresh_runs(a: argparse.Namespace) -> list[dict[str, float]]:
    """`a.runs` fresh processes. Python bytecode is cached (var/bench-pycache) as in an installed
    package, unless --source-imports: then imports compile from source, as with PYTHONDONTWRITEBYTECODE."""
    env = dict(os.environ)
    if not a.source_imports:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(__file__).resolve().parents[1] / "var" / "bench-pycache")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--bars", str(a.bars)]
    if not a.source_imports:  # untimed: writes the bytecode cache
        subprocess.run([*cmd, "--instruments", "64"], check=True, capture_output=True, env=env)
    runs = []
    for _ in range(a.runs):
        done = subprocess.run(
            [*cmd, "--instruments", str(a.instruments)], check=True, capture_output=True, text=True, env=env
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--instruments", type=int, default=5000)
    p.add_argument("--ref-instruments", type=int, default=500)
    p.add_argument("--bars", type=int, default=2520)
    p.add_argument("--runs", type=int, default=3, help="fresh processes for the first-call figures")
    p.add_argument("--no-reference", action="store_true", help="skip vectorbt (keeps the run short)")
    p.add_argument("--source-imports", action="store_true", help="fresh processes without bytecode cache")
    p.add_argument("--combo-instruments", type=int, default=500, help="risk figures and combinations run")
    p.add_argument("--only-combinations", action="store_true", help="run only the issue-24 part")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a)
        return

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if a.only_combinations:
        bench_risk_and_combinations(a.combo_instruments, a.bars)
        return
    pyc = "off (--source-imports: every import compiles from source, as with PYTHONDONTWRITEBYTECODE=1)"
    if not a.source_imports:
        pyc = "on (var/bench-pycache, as in an installed package; --source-imports to turn it off)"
    print(f"fresh processes: python bytecode cache {pyc}")
    print(f"data: {a.instruments} instruments x {a.bars} bars, 7 signal types, horizons {HORIZONS}")
    runs = fresh_runs(a)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"finsignal {a.instruments}, median of {a.runs} fresh processes (numba kernels loaded from the"
          " on-disk cache, not compiled); wall s (CPU s of the process, both cores counted):")  # fmt: skip
    print(f"    import signals + backtest  {med['import']:6.2f} ({med['import_cpu']:.2f})")
    print(f"    numba start-up             {med['boot']:6.2f} ({med['boot_cpu']:.2f})"
          "  first jitted calls: cache load")  # fmt: skip
    for name in ("first", "second"):
        print(f"    {name:6s} call               {med[name]:6.2f} ({med[f'{name}_cpu']:.2f})"
              f"  history {med[f'{name}_history']:.2f} + study {med[f'{name}_study']:.2f}")  # fmt: skip
    print("    each run, start-up + first call: " + ", ".join(f"{r['boot'] + r['first']:.2f}" for r in runs))
    e2e = statistics.median(r["import"] + r["boot"] + r["first"] for r in runs)
    e2e_cpu = statistics.median(r["import_cpu"] + r["boot_cpu"] + r["first_cpu"] for r in runs)
    print(f"    end to end in a fresh process (import + start-up + first call; making the data excluded):"
          f" {e2e:.2f} s wall ({e2e_cpu:.2f} s CPU)")  # fmt: skip
    print(f"    {int(med['windows'])} event-windows")
    first = med["first"]
    with_boot = statistics.median(r["boot"] + r["first"] for r in runs)
    print(
        f"goal: {a.instruments} instruments under 2 s: first call {first:.2f} s "
        f"({'met' if first < 2.0 else 'NOT met'}), numba start-up + first call {with_boot:.2f} s "
        f"({'met' if with_boot < 2.0 else 'NOT met'}); the study alone {med['first_study']:.2f} s"
    )
    big = synthetic(a.instruments, a.bars)
    small = {k: np.asfortranarray(v[:, : a.ref_instruments]) for k, v in big.items()}
    del big
    run_finsignal(small)
    h3, s3, _ = run_finsignal(small)
    warm = f"{h3 + s3:6.2f} s  (history {h3:.2f} + study {s3:.2f})"
    print(f"finsignal {a.ref_instruments:5d}  warm       : {warm}")
    if not a.no_reference:
        t = time.perf_counter()
        import vectorbt  # noqa: F401

        print(f"import vectorbt: {time.perf_counter() - t:.2f} s")
        v1, m1 = run_vectorbt(small)
        print(f"vectorbt  {a.ref_instruments:5d}  first call : {v1:6.2f} s, {m1} event-windows")
        v2, _ = run_vectorbt(small)
        print(f"vectorbt  {a.ref_instruments:5d}  second call: {v2:6.2f} s")
        scale = a.instruments / a.ref_instruments
        print(
            f"ratio, first calls incl. numba start-up, per instrument (vectorbt {a.ref_instruments}"
            f" x {scale:g} / finsignal {a.instruments}): {v1 * scale / with_boot:.1f}x"
        )
        ratio = v2 / (h3 + s3)
        print(f"ratio, same {a.ref_instruments} instruments, warm (vectorbt / finsignal): {ratio:.1f}x")
    bench_risk_and_combinations(a.combo_instruments, a.bars)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
