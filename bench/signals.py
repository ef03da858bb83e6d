"""Benchmark of the signal engine against talipp, pandas-ta and TA-Lib, measured in the same run.

    .venv/bin/python bench/signals.py [--instruments 5000] [--bars 2520]

(a) one new bar for N instruments (all signal types): microseconds per instrument-update of the
    engine's array core and of its Bar-object path, against talipp per-instrument objects
    (SMA, SMA, RSI, volume SMA) for all N instruments, and pandas-ta recomputing the last 250
    bars (timed on a sample of instruments and extrapolated). The core and talipp are each timed
    in three conditions, and compared within each: warm (back to back), evicted (a write over
    64 MiB, then the round's inputs built fresh: the state is in memory only) and live (after
    building one Bar object per instrument, the work a live round does first);
(b) full history N x bars: compute_history throughput (default threads and single-threaded)
    against TA-Lib called per instrument (single-threaded);
(c) memory of the engine state for N instruments.
Where ../shared/data exists (real daily CSV histories), (a) and (b) run on those too.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

# run as a script, this file's folder comes first on sys.path and its name would shadow the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402

from core.types import Bar, Interval  # noqa: E402
from signals import SignalConfig, SignalEngine, compute_history  # noqa: E402

CFG = SignalConfig()
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def synthetic(m: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (n, m)), axis=0))
    volume = np.floor(rng.lognormal(12.0, 0.8, (n, m)))
    return close, volume


def real(m: int, n: int) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """Real daily histories on their union calendar (NaN = no bar), tiled to m columns.

    Rows: the last n of the dates on which at least half of the histories have a bar.
    """
    import pandas as pd

    files = sorted(p for p in DATA.glob("*/*.csv") if "factor_files" not in p.parts)
    if not files:
        return None
    closes, volumes = {}, {}
    for p in files:
        df = pd.read_csv(p, parse_dates=["Date"]).set_index("Date").sort_index()
        df = df[~df.index.duplicated(keep="last")]
        col = "AdjClose" if "AdjClose" in df else "Close"
        ok = df[col].notna() & (df[col] > 0)
        closes[p.stem] = df.loc[ok, col].astype(float)
        volumes[p.stem] = df.loc[ok, "Volume"].astype(float).fillna(0.0)  # blank volume -> 0
    close = pd.DataFrame(closes).sort_index()
    volume = pd.DataFrame(volumes).reindex(close.index)
    busy = np.flatnonzero(close.notna().sum(axis=1).to_numpy() >= close.shape[1] / 2)
    rows = slice(max(0, busy[-1] + 1 - n), busy[-1] + 1)
    c, v = close.to_numpy()[rows], volume.to_numpy()[rows]
    reps = -(-m // c.shape[1])
    return np.tile(c, reps)[:, :m], np.tile(v, reps)[:, :m], list(close.columns)


# ---- (a) one new bar for every instrument ------------------------------------------------------
def make_bars(cols: np.ndarray, close: np.ndarray, volume: np.ndarray, when: datetime) -> list[Bar]:
    """One Bar per column (symbol S<col>): the objects a live round builds from fetched data."""
    return [Bar(f"S{j}", Interval.D1, when, x, x, x, x, y) for j, x, y in
            zip(cols.tolist(), close.tolist(), volume.tolist(), strict=True)]  # fmt: skip


def bench_update(
    close: np.ndarray,
    volume: np.ndarray,
    label: str,
    refs: tuple[float, float, float, float] | None = None,
    *,
    stored: bool = False,
) -> tuple[float, float, float, float]:
    """Prints the figures; returns (talipp warm, evicted, live, pandas-ta) us, or reuses `refs`.

    The first `warm` rows reach the engine bar by bar through `on_arrays`, or with `stored`
    through `warm_up` per instrument (the scheduler's cold start from stored bars).
    """
    n, m = close.shape
    warm = min(260, n - 25)
    engine = SignalEngine(CFG, Interval.D1, capacity=m)
    slots = np.array([engine.slot(f"S{j}") for j in range(m)], dtype=np.int64)
    t0 = datetime(2000, 1, 3, tzinfo=UTC)

    def day(t: int) -> datetime:
        return t0 + timedelta(days=t)

    def us(t: int) -> int:
        return (day(t) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)

    if stored:
        for j in range(m):
            rows = np.flatnonzero(~np.isnan(close[:warm, j]))
            engine.warm_up(f"S{j}", [Bar(f"S{j}", Interval.D1, day(t), x, x, x, x, y) for t, x, y in
                                     zip(rows.tolist(), close[rows, j].tolist(), volume[rows, j].tolist(),
                                         strict=True)])  # fmt: skip
    else:
        for t in range(warm):
            ok = ~np.isnan(close[t])
            engine.on_arrays(slots[ok], np.full(ok.sum(), us(t)), close[t, ok], volume[t, ok])
    evict = np.zeros(8 << 20)  # 64 MiB, more than the last-level cache
    times: dict[str, list[float]] = {"warm": [], "evicted": [], "live": [], "bars": []}
    fired = 0
    for t in range(warm, warm + 40):
        q = t - warm
        mode = "warm" if q < 10 else "evicted" if q < 20 else "live"
        if mode == "evicted":  # before the round's inputs are built: a live round builds them fresh
            evict += 1.0
        ok = ~np.isnan(close[t])
        s, c, v = slots[ok], close[t, ok], volume[t, ok]
        if q >= 20 and q % 2:  # Bar objects in, SignalEvents out: the live work before a core round
            bars = make_bars(s, c, v, day(t))
            start = time.perf_counter()
            events = engine.on_bars(bars)
            times["bars"].append((time.perf_counter() - start) / s.size)
            fired += len(events)
            continue
        stamps = np.full(s.size, us(t))
        start = time.perf_counter()
        res = engine.on_arrays(s, stamps, c, v)
        times[mode].append((time.perf_counter() - start) / s.size)
        assert not res.status.any(), "every row must be a new bar"
        fired += int(np.count_nonzero(res.bits))
    assert all(
        engine.bars_seen(f"S{j}") == warm + 40 for j in range(0, m, 997) if not np.isnan(close[:, j]).any()
    )
    ours = {k: statistics.median(v) * 1e6 for k, v in times.items()}

    pta_sample = min(m, 40)
    if refs is None:
        pta = pandas_ta_update(close[:, :pta_sample], volume[:, :pta_sample], warm)
        refs = (*talipp_update(close, volume, warm, day), float("nan") if pta is None else pta)
        again = ""
    else:
        again = " (from the run above)"
    t_warm, t_evicted, t_live, pta_us = refs
    per = "us/instrument-update"
    print(f"(a) one new bar for {m} instruments [{label}], all signal types ({fired} events in 40 rounds)")
    rows = [
        ("engine array core (on_arrays)", ours["warm"], "warm: back to back (median of 10)"),
        ("  after 64 MiB written", ours["evicted"], "evicted: state in memory only (median of 10)"),
        ("  after the Bar path round", ours["live"], "live: after building Bars and on_bars (median of 10)"),
        ("engine Bar path (on_bars)", ours["bars"], "Bar objects in, SignalEvents out (median of 10)"),
        ("talipp, 4 objects/instrument", t_warm, f"warm: back to back (median of 5, all {m}){again}"),
        ("  after 64 MiB written", t_evicted, f"evicted (median of 5){again}"),
        ("  after building Bars", t_live, f"live: after building {m} Bar objects (median of 5){again}"),
        ("pandas-ta, last 250 bars", pta_us, f"talib=False; {pta_sample} instruments, extrapolated{again}"),
    ]
    for name, x, note in rows:
        print(f"    {name:31s} {x:11.4f} {per} {x * m / 1e3:10.2f} ms/round  {note}")
    ratios = f"{t_warm / ours['warm']:.0f}x warm, {t_evicted / ours['evicted']:.0f}x evicted"
    print(
        f"    ratio talipp / engine core     {ratios}, {t_live / ours['live']:.0f}x live"
        " (each against talipp in the same condition; goal >= 300x)"
    )
    print(f"    ratio talipp / engine Bar path {t_warm / ours['bars']:11.1f}x")
    print(f"    ratio pandas-ta / engine core  {pta_us / ours['warm']:11.0f}x warm")
    return refs


def staggered(
    close: np.ndarray, volume: np.ndarray, missing: float = 0.0, seed: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The same walks, each instrument starting 0..199 bars late (NaN before), and a share
    `missing` of later bars missing at random. Fed bar by bar, a first bar joins the ring rows of
    the row before it; a missing bar leaves its instrument one ring row behind its neighbours
    for good, so with gaps the rows scatter (the worst case for the layout)."""
    out = close.copy()
    rng = np.random.default_rng(seed)
    late = rng.integers(0, 200, close.shape[1])
    out[np.arange(close.shape[0])[:, None] < late[None, :]] = np.nan
    out[rng.random(close.shape) < missing] = np.nan
    return out, volume


def talipp_update(
    close: np.ndarray, volume: np.ndarray, warm: int, day: Callable[[int], datetime]
) -> tuple[float, float, float]:
    """(warm, evicted, live) microseconds per instrument-update of talipp objects for every column.

    Warm rounds come back to back; evicted ones follow a write over 64 MiB (more than the
    last-level cache) made before the round's inputs are built; live ones follow the building of
    one Bar object per instrument (as the engine's live rounds follow its Bar path). Rows
    without a bar (NaN) are skipped.
    """
    from talipp.indicators import RSI, SMA

    objs = []
    for j in range(close.shape[1]):
        ok = ~np.isnan(close[:warm, j])
        c, v = close[:warm, j][ok].tolist(), volume[:warm, j][ok].tolist()
        objs.append(
            (SMA(CFG.sma_fast, c), SMA(CFG.sma_slow, c), RSI(CFG.rsi_period, c), SMA(CFG.volume_window, v))
        )
    evict = np.zeros(8 << 20)
    times: dict[str, list[float]] = {"warm": [], "evicted": [], "live": []}
    for t in range(warm, warm + 15):
        mode = ("warm", "evicted", "live")[(t - warm) % 3]
        if mode == "evicted":  # before the round's inputs are built, as for the engine
            evict += 1.0
        row_c, row_v = close[t].tolist(), volume[t].tolist()
        if mode == "live":
            ok = ~np.isnan(close[t])
            bars = make_bars(np.flatnonzero(ok), close[t, ok], volume[t, ok], day(t))  # noqa: F841 (the work is the point)
        n = 0
        start = time.perf_counter()
        for j, (f, s, r, va) in enumerate(objs):
            x = row_c[j]
            if x != x:  # no bar
                continue
            f.add(x)
            s.add(x)
            r.add(x)
            va.add(row_v[j])
            n += 1
        times[mode].append((time.perf_counter() - start) / max(1, n))
    return tuple(statistics.median(v) * 1e6 for v in times.values())  # type: ignore[return-value]


def pandas_ta_update(close: np.ndarray, volume: np.ndarray, warm: int) -> float | None:
    import importlib.util

    import pandas as pd
    import pandas_ta as ta

    if importlib.util.find_spec("scipy") is None:  # numba's np.convolve would abort the process
        print("    (pandas-ta skipped: its numba SMA needs scipy for BLAS; `make bench` installs it)")
        return None

    cols = [
        (pd.Series(close[:warm, j]).dropna(), pd.Series(volume[:warm, j]).dropna())
        for j in range(close.shape[1])
    ]
    start = time.perf_counter()
    for c, v in cols:
        c, v = c.iloc[-250:], v.iloc[-250:]
        ta.sma(c, length=CFG.sma_fast, talib=False)
        ta.sma(c, length=CFG.sma_slow, talib=False)
        ta.rsi(c, length=CFG.rsi_period, talib=False)
        ta.sma(v, length=CFG.volume_window, talib=False)
    return (time.perf_counter() - start) / len(cols) * 1e6


# ---- (b) full history --------------------------------------------------------------------------
def bench_history(close: np.ndarray, volume: np.ndarray, label: str) -> None:
    import talib

    n, m = close.shape
    bars = int(np.count_nonzero(~np.isnan(close)))
    kept: list[object] = []

    def run_talib(keep: bool) -> None:
        kept.clear()
        for j in range(m):
            c = np.ascontiguousarray(close[:, j])
            v = np.ascontiguousarray(volume[:, j])
            out = (talib.SMA(c, CFG.sma_fast), talib.SMA(c, CFG.sma_slow), talib.RSI(c, CFG.rsi_period),
                   talib.SMA(v, CFG.volume_window))  # fmt: skip
            if keep:
                kept.append(out)

    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "one": [], "keep": [], "drop": []}
    for _ in range(3):  # interleaved, so that load from other processes hits all alike
        runs["ours"].append(timed(lambda: compute_history(close, volume, CFG)))
        gc.collect()
        runs["one"].append(timed(lambda: compute_history(close, volume, CFG, threads=1)))
        gc.collect()
        runs["keep"].append(timed(lambda: run_talib(True)))
        kept.clear()
        gc.collect()
        runs["drop"].append(timed(lambda: run_talib(False)))
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(f"(b) full history {n} bars x {m} instruments [{label}] ({bars / 1e6:.1f} M bars), median of 3,"
          f" load average {os.getloadavg()[0]:.1f}:")  # fmt: skip
    print(f"    {'':45s} {'wall s':>7s} {'M bars/s':>9s} {'CPU s':>7s} {'M bars/s':>9s}")
    names = {
        "ours": f"compute_history, {os.cpu_count()} threads (default)",
        "one": "compute_history, 1 thread (threads=1)",
        "keep": "TA-Lib SMA,SMA,RSI,SMA(vol), 1 thread, kept",
        "drop": "TA-Lib, each result dropped at once",
    }
    for key, name in names.items():
        w, c = wall[key], cpu[key]
        print(f"    {name:45s} {w:7.3f} {bars / w / 1e6:9.1f} {c:7.3f} {bars / c / 1e6:9.1f}")
    print("    (compute_history: 4 indicators + 7 rules, outputs kept; CPU s counts every thread)")
    print("    wall s of each run (the first gets fresh memory; later ones reuse freed memory: our pool,"
          " TA-Lib's malloc):")  # fmt: skip
    for key in ("ours", "keep"):
        print(f"      {names[key]:43s} " + ", ".join(f"{w:.3f}" for w, _ in runs[key]))
    for key, what in (("keep", "kept   "), ("drop", "dropped")):
        goal = "  (goal >= 1x, wall)" if key == "keep" else ""
        print(f"    ratio TA-Lib ({what}) / engine: wall {wall[key] / wall['ours']:.2f}x"
              f" ({wall[key] / wall['one']:.2f}x single-threaded), CPU {cpu[key] / cpu['ours']:.2f}x"
              f" ({cpu[key] / cpu['one']:.2f}x single-threaded){goal}")  # fmt: skip


# ---- (c) memory --------------------------------------------------------------------------------
def bench_memory(close: np.ndarray, volume: np.ndarray) -> None:
    m = close.shape[1]
    gc.collect()
    tracemalloc.start()
    engine = SignalEngine(CFG, Interval.D1, capacity=m)
    slots = np.array([engine.slot(f"S{j:05d}.KS") for j in range(m)], dtype=np.int64)
    engine.on_arrays(slots, np.zeros(m, dtype=np.int64), close[0], volume[0])
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    blob = engine.dump_state()
    mib = 2**20
    print(f"(c) engine state for {m} instruments: arrays {engine.nbytes() / mib:.1f} MiB, all allocations"
          f" {traced / mib:.1f} MiB (goal < 50 MB); dump_state {len(blob) / mib:.1f} MiB")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instruments", type=int, default=5000)
    ap.add_argument("--bars", type=int, default=2520)
    args = ap.parse_args()
    m, n = args.instruments, args.bars
    start = time.perf_counter()
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores, load average {load:.1f} at start (other processes share the CPUs)"
    )
    compute_history(np.ones((300, 2)), np.ones((300, 2)))  # numba: load from cache or compile
    engine = SignalEngine()
    engine.on_arrays(np.array([engine.slot("X")]), np.array([0]), np.array([1.0]), np.array([1.0]))
    print(f"numba kernels ready in {time.perf_counter() - start:.2f} s (a fresh checkout compiles them"
          " on first call; later runs load the on-disk cache)")  # fmt: skip
    close, volume = synthetic(m, n)
    refs = bench_update(close, volume, "synthetic random walks")
    bench_update(*staggered(close, volume), "synthetic, staggered starts", refs)
    gappy = staggered(close, volume, missing=0.02)
    bench_update(*gappy, "synthetic, staggered starts, 2% of bars missing", refs)
    bench_history(close, volume, "synthetic random walks")
    bench_memory(close, volume)
    del close, volume
    gc.collect()
    loaded = real(m, n)
    if loaded is None:
        print(f"(real data) {DATA} not found: skipped")
    else:
        rc, rv, names = loaded
        print(f"(real data) {len(names)} daily histories from {DATA}, union calendar, last {rc.shape[0]}"
              f" rows where most have bars (NaN = no bar), tiled to {m} columns")  # fmt: skip
        bench_update(rc, rv, "real histories, warmed up from stored bars", stored=True)
        bench_update(rc, rv, "real histories, fed bar by bar from their first rows")
        bench_history(rc, rv, "real histories")
    print(f"total {time.perf_counter() - start:.0f} s, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
