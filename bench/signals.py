"""Benchmark of the signal engine against talipp, pandas-ta and TA-Lib, measured in the same run.

    .venv/bin/python bench/signals.py [--instruments 5000] [--bars 2520] [--parts abcd]

(a) one new bar for N instruments: microseconds per instrument-update of the engine's array
    core and of its Bar-object path, against talipp per-instrument objects (SMA, SMA, RSI,
    volume SMA, BB) for all N instruments, and pandas-ta recomputing the last 250 bars of the
    four moving-average indicators (timed on a sample of instruments and extrapolated). talipp is
    timed twice: with the twelve rules of every type but the chart patterns applied to its
    outputs (52-week extremes and the squeeze's lowest bandwidth from deques, as a talipp user
    would write them: the same event bits, checked in the run) and with its indicators alone.
    Both sides leave the chart patterns out (the engine's config `SAME`; talipp's ZigZag is a
    fixed percentage, not the engine's volatility-relative rule); one more synthetic run times
    the engine with the patterns too, against the same reference. The core and talipp are each timed
    in three conditions, and compared within each: warm (back to back), evicted (a write over
    64 MiB, then the round's inputs built fresh: the state is in memory only) and live (after
    building one Bar object per instrument, the work a live round does first);
(b) full history N x bars: compute_history throughput (default threads, single-threaded, and
    without chart patterns) against TA-Lib called per instrument for the indicators TA-Lib has
    (SMA x2, RSI, volume SMA, BBANDS, 52-week MAX and MIN), results kept, on one thread and with
    the columns split over as many threads as compute_history uses (TA-Lib releases the GIL);
    the goal is against the faster of the two;
(d) chart-pattern detection alone (the engine's pattern step) over N x bars, single-threaded;
(c) memory of the engine state for N instruments.
Where ../shared/data exists (real daily CSV histories), (a), (b) and (d) run on those too. (b) runs
first, before (a) fills the heap with talipp objects (TA-Lib's results come from that heap).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

# run as a script, this file's folder comes first on sys.path and its name would shadow the package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from core.types import ALL_SIGNALS, Bar, Interval, SignalType  # noqa: E402
from signals import SignalConfig, SignalEngine, compute_history  # noqa: E402

CFG = SignalConfig()
PATTERN_TYPES = frozenset(list(SignalType)[12:16])  # the four chart patterns
# (a)'s comparison: every type but the chart patterns, on both sides (talipp has no pattern rule;
# its ZigZag is percentage-based, not the engine's volatility-relative one); (d) times patterns
SAME = SignalConfig(enabled=ALL_SIGNALS - PATTERN_TYPES)
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

    # price histories only: data/news holds headlines
    files = sorted(p for d in ("carbon", "kr", "us_lean") for p in (DATA / d).glob("*.csv"))
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
class Refs(NamedTuple):
    """Reference microseconds per instrument-update: talipp (warm, evicted, live) with the seven
    rules (the same work as the engine core) and with the indicators alone; pandas-ta."""

    rules: tuple[float, float, float]
    plain: tuple[float, float, float]
    pandas_ta: float


def make_bars(cols: np.ndarray, close: np.ndarray, volume: np.ndarray, when: datetime) -> list[Bar]:
    """One Bar per column (symbol S<col>): the objects a live round builds from fetched data."""
    return [Bar(f"S{j}", Interval.D1, when, x, x, x, x, y) for j, x, y in
            zip(cols.tolist(), close.tolist(), volume.tolist(), strict=True)]  # fmt: skip


def bench_update(
    close: np.ndarray,
    volume: np.ndarray,
    label: str,
    refs: Refs | None = None,
    *,
    stored: bool = False,
    cfg: SignalConfig = SAME,
) -> Refs:
    """Prints the figures; returns the references' times (see `Refs`), or reuses `refs`.

    The first `warm` rows reach the engine bar by bar through `on_arrays`, or with `stored`
    through `warm_up` per instrument (the scheduler's cold start from stored bars). The engine
    runs with `cfg`: by default `SAME`, the reference's work (every type but the chart patterns).
    """
    n, m = close.shape
    warm = min(260, n - 25)
    engine = SignalEngine(cfg, Interval.D1, capacity=m)
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
    bits = np.zeros((TALIPP_ROUNDS, m), dtype=np.int16)  # the engine's event bits per round and column
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
            if q < TALIPP_ROUNDS:
                for e in events:  # the twelve rules talipp's outputs are checked against
                    if e.signal in KINDS:
                        bits[q, int(e.symbol[1:])] |= 1 << KINDS.index(e.signal)
            continue
        stamps = np.full(s.size, us(t))
        start = time.perf_counter()
        res = engine.on_arrays(s, stamps, c, v)
        times[mode].append((time.perf_counter() - start) / s.size)
        assert not res.status.any(), "every row must be a new bar"
        fired += int(np.count_nonzero(res.bits))
        if q < TALIPP_ROUNDS:
            bits[q, ok] = res.bits | (res.xbits & 31).astype(np.int16) << 7
    assert all(
        engine.bars_seen(f"S{j}") == warm + 40 for j in range(0, m, 997) if not np.isnan(close[:, j]).any()
    )
    ours = {k: statistics.median(v) * 1e6 for k, v in times.items()}

    pta_sample = min(m, 40)
    agree = ""
    if refs is None:
        pta = pandas_ta_update(close[:, :pta_sample], volume[:, :pta_sample], warm)
        refs, their_bits = talipp_update(close, volume, warm, day)
        gc.collect()
        refs = refs._replace(pandas_ta=float("nan") if pta is None else pta)
        ruled = their_bits[:, 0] >= 0  # the rounds talipp ran with the rules
        ours_b, theirs_b = bits[ruled], their_bits[ruled]
        agree = (
            f"; event bits as the engine's in {(ours_b == theirs_b).all(axis=0).mean():.2%} of instruments"
            f" over its {int(ruled.sum())} rounds with rules ({_events(ours_b)} events by the engine,"
            f" {_events(theirs_b)} with talipp)"
        )
        again = ""
    else:
        again = " (from the run above)"
    per = "us/instrument-update"
    what = "all signal types" if cfg.enabled >= PATTERN_TYPES else "every signal type but the chart patterns"
    print(f"(a) one new bar for {m} instruments [{label}], {what} ({fired} events in 40 rounds)")
    rows = [
        ("engine array core (on_arrays)", ours["warm"], "warm: back to back (median of 10)"),
        ("  after 64 MiB written", ours["evicted"], "evicted: state in memory only (median of 10)"),
        ("  after the Bar path round", ours["live"], "live: after building Bars and on_bars (median of 10)"),
        ("engine Bar path (on_bars)", ours["bars"], "Bar objects in, SignalEvents out (median of 10)"),
        ("talipp + the 12 rules", refs.rules[0], f"warm: back to back (median of 5, all {m}){again}{agree}"),
        ("  after 64 MiB written", refs.rules[1], f"evicted (median of 5){again}"),
        (
            "  after building Bars",
            refs.rules[2],
            f"live: after building {m} Bar objects (median of 5){again}",
        ),
        ("talipp, indicators only", refs.plain[0], "warm: the 5 add() calls alone, no signal"),
        ("  after 64 MiB written", refs.plain[1], "evicted"),
        ("  after building Bars", refs.plain[2], "live"),
        (
            "pandas-ta, last 250 bars",
            refs.pandas_ta,
            f"talib=False; {pta_sample} instruments, extrapolated{again}",
        ),
    ]
    for name, x, note in rows:
        print(f"    {name:31s} {x:11.4f} {per} {x * m / 1e3:10.2f} ms/round  {note}")
    conds = ("warm", "evicted", "live")
    for what, ref in (("talipp + rules / engine core", refs.rules), ("talipp indicators / core", refs.plain)):
        ratios = ", ".join(f"{ref[i] / ours[k]:.0f}x {k}" for i, k in enumerate(conds))
        same = "same work" if cfg == SAME else "the engine also finds chart patterns"
        goal = f" ({same}, same condition; floor >= 100x)" if ref is refs.rules else " (less work)"
        print(f"    ratio {what:29s} {ratios}{goal}")
    print(f"    ratio talipp + rules / Bar path     {refs.rules[0] / ours['bars']:.1f}x")
    print(f"    ratio pandas-ta / engine core       {refs.pandas_ta / ours['warm']:.0f}x warm")
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


TALIPP_ROUNDS = 30
KINDS = list(SignalType)[:12]  # event bit k is KINDS[k]: the 7 moving-average rules, then the 5 band rules
OB, OS, MULT = CFG.rsi_overbought, CFG.rsi_oversold, CFG.volume_multiple
BB_N, BB_K, SQW, WITHIN, W52 = CFG.band_params


def _events(bits: np.ndarray) -> int:
    return int(np.unpackbits(bits.astype(np.uint16).view(np.uint8)).sum())


class Extra:
    """One column's state for the Bollinger / squeeze / 52-week rules on talipp's BB outputs, as a
    talipp user would write it (talipp has no rolling max/min of closes nor a rolling minimum of
    bandwidths): monotonic deques of (bar number, value) for the 52-week highest and lowest close
    and the lowest bandwidth, and the rules' bookkeeping."""

    __slots__ = ("armed", "hq", "lq", "n", "nbw", "sq_age", "wq")

    def __init__(self) -> None:
        self.n = 0  # closes seen
        self.hq: deque[tuple[int, float]] = deque()  # decreasing closes: the front is the window's max
        self.lq: deque[tuple[int, float]] = deque()
        self.nbw = 0  # bandwidths seen
        self.wq: deque[tuple[int, float]] = deque()  # increasing bandwidths
        self.sq_age: int | None = None  # bars since the last squeeze (None: none pending)
        self.armed = 0  # bits 7..11 the last bar armed


def _extra_level(e: Extra, x: float, val: Any) -> tuple[int, int, int]:
    """The five band rules for close `x` and talipp's `BB` output `val` of this bar (None or a
    `BBVal`), advancing `e`: (bits whose condition holds, bits defined and not holding, squeeze
    breakout bit). Bits as the engine's (`KINDS`): upper 128, lower 256, squeeze 512, high 1024,
    low 2048. The 52-week extremes are over the W52 closes before this bar."""
    n, hq, lq = e.n, e.hq, e.lq
    level = arm = fire = 0
    if n >= W52:  # the W52 closes before this one: numbers n - W52 .. n - 1
        while hq[0][0] < n - W52:
            hq.popleft()
        while lq[0][0] < n - W52:
            lq.popleft()
        hi, lo = hq[0][1], lq[0][1]
        if x > hi:
            level, arm = 1024, 2048
        elif x < lo:
            level, arm = 2048, 1024
        else:
            arm = 3072
    while hq and hq[-1][1] <= x:
        hq.pop()
    hq.append((n, x))
    while lq and lq[-1][1] >= x:
        lq.pop()
    lq.append((n, x))
    e.n = n + 1
    if val is None:
        return level, arm, 0
    up, lo = val.ub, val.lb
    if x > up:
        level |= 128
        arm |= 256
    elif x < lo:
        level |= 256
        arm |= 128
    else:
        arm |= 384
    bw = (up - lo) / val.cb
    k, wq = e.nbw, e.wq
    while wq and wq[0][0] <= k - SQW:  # keep the SQW - 1 bandwidths before this one
        wq.popleft()
    squeeze = k + 1 >= SQW and bw <= wq[0][1]
    while wq and wq[-1][1] >= bw:
        wq.pop()
    wq.append((k, bw))
    e.nbw = k + 1
    if squeeze:
        e.sq_age = 0
    elif e.sq_age is not None:
        e.sq_age += 1
    if (x > up or x < lo) and e.sq_age is not None and e.sq_age <= WITHIN:
        fire = 512
        e.sq_age = None  # one breakout per squeeze
    return level, arm, fire


def talipp_update(
    close: np.ndarray, volume: np.ndarray, warm: int, day: Callable[[int], datetime]
) -> tuple[Refs, np.ndarray]:
    """talipp objects (SMA, SMA, RSI, volume SMA, BB) for every column, timed per instrument-update
    (microseconds; pandas-ta left NaN) two ways, rounds taking turns on the same objects:
    - with the twelve rules of `SAME` applied to talipp's outputs (`_level_arm`, `_extra_level`:
      deques for the 52-week extremes and the squeeze's lowest bandwidth), as code built on talipp
      would: the engine core's work, for the same event bits (returned per round, -1 in the other
      rounds);
    - the five `add` calls alone; the rules' state is then brought up to date after the clock.

    Each way in three conditions, five rounds each: warm (back to back), evicted (after a write
    over 64 MiB, more than the last-level cache, made before the round's inputs are built), live
    (after building one Bar object per instrument, as the engine's live rounds follow its Bar
    path). Rows without a bar (NaN) are skipped.
    """
    from talipp.indicators import BB, RSI, SMA

    m = close.shape[1]
    objs = []
    extras = []
    armed = []
    for j in range(m):
        ok = ~np.isnan(close[:warm, j])
        c, v = close[:warm, j][ok].tolist(), volume[:warm, j][ok].tolist()
        o = (SMA(CFG.sma_fast, c), SMA(CFG.sma_slow, c), RSI(CFG.rsi_period, c), SMA(CFG.volume_window, v),
             BB(BB_N, BB_K, c))  # fmt: skip
        e = Extra()
        for x, val in zip(c, o[4].output_values, strict=True):
            _, e.armed, _ = _extra_level(e, x, val)
        objs.append(o)
        extras.append(e)
        armed.append(_armed_after(o, close[:warm, j], volume[:warm, j]))
    evict = np.zeros(8 << 20)
    times = {rules: {"warm": [], "evicted": [], "live": []} for rules in (True, False)}
    fired = np.full((TALIPP_ROUNDS, m), -1, dtype=np.int16)  # -1: a round without the rules
    for q in range(TALIPP_ROUNDS):
        t = warm + q
        mode = ("warm", "evicted", "live")[q // 2 % 3]
        rules = bool((q + q // 2) % 2)  # rules first in every other pair of rounds
        if mode == "evicted":  # before the round's inputs are built, as for the engine
            evict += 1.0
        row_c, row_v = close[t].tolist(), volume[t].tolist()
        if mode == "live":
            ok = ~np.isnan(close[t])
            bars = make_bars(np.flatnonzero(ok), close[t, ok], volume[t, ok], day(t))  # noqa: F841 (the work is the point)
        start = time.perf_counter()
        out, n = talipp_round(objs, extras, armed, row_c, row_v, rules=rules)
        times[rules][mode].append((time.perf_counter() - start) / max(1, n))
        if rules:
            fired[q] = out
        else:  # the rules' state, after the clock: what the last bar arms
            for j in np.flatnonzero(~np.isnan(close[t])).tolist():
                armed[j] = _armed_after(objs[j], close[: t + 1, j], volume[: t + 1, j])
                e = extras[j]
                _, e.armed, _ = _extra_level(e, row_c[j], objs[j][4][-1])

    def med(rules: bool) -> tuple[float, float, float]:
        return tuple(statistics.median(v) * 1e6 for v in times[rules].values())  # type: ignore[return-value]

    return Refs(med(True), med(False), float("nan")), fired


def _armed_after(objs: tuple[Any, ...], close: np.ndarray, volume: np.ndarray) -> int:
    """The event bits of the seven moving-average rules that one column's last bar (the last
    non-NaN of `close`) arms, from its talipp objects after that bar."""
    rows = np.flatnonzero(~np.isnan(close))
    if not rows.size:
        return 0
    f, s, r, va = objs[:4]
    base = va.output_values[-2] if len(va) > 1 else None
    return _level_arm(close[rows[-1]], f[-1], s[-1], r[-1], base, volume[rows[-1]])[1]


def talipp_round(
    objs: list[tuple[Any, ...]], extras: list[Extra], armed: list[int], row_c: list[float],
    row_v: list[float], *, rules: bool,
) -> tuple[list[int], int]:  # fmt: skip
    """One bar for every column with one (NaN close: none): (event bits per column, bars added).

    With `rules`, the volume baseline is read before the bar is added, and `_level_arm` and
    `_extra_level` applied to the outputs after: a bit fires where this bar's condition holds and
    the previous bar armed it (`armed` and `Extra.armed`, per column, updated here); the squeeze
    breakout fires on its own rule.
    """
    out = [0] * len(objs)
    n = 0
    for j, (f, s, r, va, b) in enumerate(objs):
        x = row_c[j]
        if x != x:  # no bar
            continue
        v = row_v[j]
        n += 1
        if rules:
            vo = va.output_values
            base = vo[-1] if vo else None  # average of the previous bars' volumes
        f.add(x)
        s.add(x)
        r.add(x)
        va.add(v)
        b.add(x)
        if not rules:
            continue
        level, arm = _level_arm(x, f[-1], s[-1], r[-1], base, v)
        e = extras[j]
        xlevel, xarm, squeeze = _extra_level(e, x, b[-1])
        out[j] = level & armed[j] | xlevel & e.armed | squeeze
        armed[j] = arm
        e.armed = xarm
    return out, n


def _level_arm(
    x: float, sf: float | None, ss: float | None, rsi: float | None, base: float | None, v: float
) -> tuple[int, int]:
    """The seven rules on talipp outputs (None = not yet defined): (bits whose condition holds
    on this bar, bits whose condition is defined and does not hold, which the next bar can fire).
    Bit values follow `SignalType` order, as in the engine. The three two-sided pairs are
    written out, not passed through a helper: a call per pair would slow the reference."""
    level = arm = 0
    if ss is not None:
        if x > ss:  # above the slow SMA: breakout holds, breakdown can come
            level, arm = 1, 2
        elif x < ss:
            level, arm = 2, 1
        else:
            arm = 3
        if sf is not None:
            if sf > ss:
                level, arm = level | 4, arm | 8
            elif sf < ss:
                level, arm = level | 8, arm | 4
            else:
                arm |= 12
    if rsi is not None:
        if rsi > OB:
            level, arm = level | 16, arm | 32
        elif rsi < OS:
            level, arm = level | 32, arm | 16
        else:
            arm |= 48
    if base is not None:
        if base > 0.0 and v >= MULT * base:
            level |= 64
        else:
            arm |= 64
    return level, arm


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
    """compute_history against TA-Lib computing the seven of its indicators that TA-Lib has, per
    instrument, results kept (as compute_history keeps its outputs), on one thread and on as many
    threads as compute_history uses (TA-Lib's Python functions release the GIL while they compute,
    so a TA-Lib user can split the columns over threads too). The goal is against the faster."""
    from concurrent.futures import ThreadPoolExecutor

    import talib

    n, m = close.shape
    bars = int(np.count_nonzero(~np.isnan(close)))
    threads = max(1, os.cpu_count() or 1)
    kept: list[object] = []

    def talib_span(a: int, b: int, keep: bool) -> list[object]:
        out = []
        for j in range(a, b):
            c = np.ascontiguousarray(close[:, j])
            v = np.ascontiguousarray(volume[:, j])
            res = (talib.SMA(c, CFG.sma_fast), talib.SMA(c, CFG.sma_slow), talib.RSI(c, CFG.rsi_period),
                   talib.SMA(v, CFG.volume_window),
                   talib.BBANDS(c, CFG.bb_period, CFG.bb_stddev, CFG.bb_stddev, 0),
                   talib.MAX(c, CFG.high_low_window), talib.MIN(c, CFG.high_low_window))  # fmt: skip
            if keep:
                out.append(res)
        return out

    def run_talib(keep: bool, k: int = 1) -> None:
        kept.clear()
        if k == 1:
            kept.extend(talib_span(0, m, keep))
            return
        cuts = np.linspace(0, m, k + 1).astype(int).tolist()
        with ThreadPoolExecutor(k) as pool:
            for part in pool.map(lambda s: talib_span(s[0], s[1], keep), pairwise(cuts)):
                kept.extend(part)

    keys = ("ours", "one", "same", "keep", "keepn", "drop")
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in keys}
    for _ in range(5):  # interleaved, so that load from other processes hits all alike
        runs["ours"].append(timed(lambda: compute_history(close, volume, CFG)))
        gc.collect()
        runs["one"].append(timed(lambda: compute_history(close, volume, CFG, threads=1)))
        gc.collect()
        runs["same"].append(timed(lambda: compute_history(close, volume, SAME)))
        gc.collect()
        runs["keep"].append(timed(lambda: run_talib(True)))
        kept.clear()
        gc.collect()
        runs["keepn"].append(timed(lambda: run_talib(True, threads)))
        kept.clear()
        gc.collect()
        runs["drop"].append(timed(lambda: run_talib(False)))
    wall = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    print(f"(b) full history {n} bars x {m} instruments [{label}] ({bars / 1e6:.1f} M bars), median of 5,"
          f" load average {os.getloadavg()[0]:.1f}:")  # fmt: skip
    print(f"    {'':50s} {'wall s':>7s} {'M bars/s':>9s} {'CPU s':>7s} {'M bars/s':>9s}")
    names = {
        "ours": f"compute_history, {threads} threads (default)",
        "one": "compute_history, 1 thread (threads=1)",
        "same": f"compute_history without chart patterns, {threads} threads",
        "keep": "TA-Lib SMA,SMA,RSI,SMA(v),BBANDS,MAX,MIN, kept",
        "keepn": f"  the same, columns split over {threads} threads",
        "drop": "TA-Lib, 1 thread, each result dropped at once",
    }
    for key, name in names.items():
        w, c = wall[key], cpu[key]
        print(f"    {name:50s} {w:7.3f} {bars / w / 1e6:9.1f} {c:7.3f} {bars / c / 1e6:9.1f}")
    print("    (compute_history: SMA, SMA, RSI, volume SMA, Bollinger bands and width, 52-week high and low,"
          " 12 rules and 4 chart patterns, outputs kept; TA-Lib: the 7 of those indicators it has, no rules;"
          " CPU s counts every thread)")  # fmt: skip
    print("    wall s of each run (the first gets fresh memory; later ones reuse freed memory: our pool,"
          " TA-Lib's malloc):")  # fmt: skip
    for key in ("ours", "keep", "keepn"):
        print(f"      {names[key]:48s} " + ", ".join(f"{w:.3f}" for w, _ in runs[key]))
    best = "keep" if wall["keep"] <= wall["keepn"] else "keepn"
    ref = f"TA-Lib kept, the faster of 1 and {threads} threads ({'1' if best == 'keep' else threads})"
    print(f"    ratio {ref} / engine on the indicators TA-Lib has (no chart patterns): wall"
          f" {wall[best] / wall['same']:.2f}x  (goal >= 1x, wall); with the chart patterns too"
          f" {wall[best] / wall['ours']:.2f}x")  # fmt: skip
    for key, what in (("keep", "kept, 1 thread"), ("drop", "dropped, 1 thread")):
        print(f"    ratio TA-Lib ({what}) / engine: wall {wall[key] / wall['ours']:.2f}x"
              f" ({wall[key] / wall['one']:.2f}x single-threaded), CPU {cpu[key] / cpu['ours']:.2f}x"
              f" ({cpu[key] / cpu['one']:.2f}x single-threaded)")  # fmt: skip


# ---- (d) chart patterns -------------------------------------------------------------------------
def bench_patterns(close: np.ndarray, label: str) -> None:
    """The pattern rule alone (`signals._patterns.step`, the one the engine runs) over every column."""
    from numba import njit

    from signals import _patterns as P

    @njit(nogil=True, cache=False, _nrt=False)  # as the engine's loops: no reference counting
    def scan(c: np.ndarray, s: np.ndarray, prm: tuple[int, float, float, int, int]) -> int:
        found = 0
        for j in range(c.shape[1]):
            s[:] = 0.0  # `_patterns.new_state`
            for t in range(c.shape[0]):
                x = c[t, j]
                if x == x:
                    found += P.step(s, x, np.log(x), float(t), prm) > 0
        return found

    f = np.asfortranarray(close)
    s = np.zeros(P.NF)
    scan(f[:300, :2], s, CFG.pattern_params)  # compile
    runs = [timed(lambda: scan(f, s, CFG.pattern_params)) for _ in range(3)]
    found = scan(f, s, CFG.pattern_params)
    w = statistics.median(r[0] for r in runs)
    n, m = close.shape
    print(f"(d) chart patterns over {m} instruments x {n} bars [{label}]: {w:.2f} s wall, 1 thread"
          f" ({n * m / w / 1e6:.0f} M bars/s), {found} patterns confirmed"
          " (goal < 5 s at 5,000 x 2,520)")  # fmt: skip


# ---- (c) memory --------------------------------------------------------------------------------
def bench_memory(close: np.ndarray, volume: np.ndarray) -> None:
    m = close.shape[1]
    gc.collect()
    rss = psutil.Process().memory_info().rss
    tracemalloc.start()
    engine = SignalEngine(CFG, Interval.D1, capacity=m)
    slots = np.array([engine.slot(f"S{j:05d}.KS") for j in range(m)], dtype=np.int64)
    engine.on_arrays(slots, np.zeros(m, dtype=np.int64), close[0], volume[0])
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown = psutil.Process().memory_info().rss - rss
    blob = engine.dump_state()
    mib = 2**20
    print(f"(c) engine state for {m} instruments: arrays {engine.nbytes() / mib:.1f} MiB,"
          f" other allocations {traced / mib:.1f} MiB (tracemalloc), resident"
          f" growth {grown / mib:.1f} MiB after one round (goal < 50 MB);"
          f" dump_state {len(blob) / mib:.1f} MiB")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instruments", type=int, default=5000)
    ap.add_argument("--bars", type=int, default=2520)
    ap.add_argument("--parts", default="abcd", help="the parts to run (default abcd: all), e.g. --parts b")
    args = ap.parse_args()
    m, n = args.instruments, args.bars
    part = set(args.parts)
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
    loaded = real(m, n)
    if loaded is None:
        print(f"(real data) {DATA} not found: skipped")
    else:
        rows = loaded[0].shape[0]
        print(f"(real data) {len(loaded[2])} daily histories from {DATA}, union calendar, last {rows}"
              f" rows where most have bars (NaN = no bar), tiled to {m} columns")  # fmt: skip
    if "b" in part:  # first: (a)'s millions of talipp objects leave a heap that slows TA-Lib's mallocs
        bench_history(close, volume, "synthetic random walks")
        if loaded is not None:
            bench_history(loaded[0], loaded[1], "real histories")
    if "a" in part:
        refs = bench_update(close, volume, "synthetic random walks")
        bench_update(close, volume, "synthetic random walks, chart patterns too", refs, cfg=CFG)
        bench_update(*staggered(close, volume), "synthetic, staggered starts", refs)
        gappy = staggered(close, volume, missing=0.02)
        bench_update(*gappy, "synthetic, staggered starts, 2% of bars missing", refs)
    if "d" in part:
        bench_patterns(close, "synthetic random walks")
    if "c" in part:
        bench_memory(close, volume)
    del close, volume
    gc.collect()
    if loaded is not None:
        rc, rv, _ = loaded
        if "a" in part:
            bench_update(rc, rv, "real histories, warmed up from stored bars", stored=True)
            bench_update(rc, rv, "real histories, fed bar by bar from their first rows")
        if "d" in part:
            bench_patterns(rc, "real histories")
    print(f"total {time.perf_counter() - start:.0f} s, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
