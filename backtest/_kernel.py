"""numba kernels of the event study: one pass per instrument column; they release the GIL."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from signals._types import jit

Arr = NDArray[Any]


@jit(nogil=True, error_model="python")
def baseline(close: Arr, entry: Arr, first: Arr, horizons: Arr, out: Arr) -> None:
    """out[k, j]: mean of close[t+h]/entry[t] - 1 over rows first[j] <= t <= n-1-h (NaN if none).

    `entry[t]` is the price a position taken on bar t's signal starts from (close[t], or open[t+1])."""
    n_bars, n_inst = close.shape
    for j in range(n_inst):
        for k in range(horizons.shape[0]):
            h = horizons[k]
            s = 0.0
            n = 0
            for t in range(first[j], n_bars - h):
                s += close[t + h, j] / entry[t, j] - 1.0
                n += 1
            out[k, j] = s / n if n > 0 else np.nan


@jit(nogil=True, fastmath=True, error_model="python")
def _window_min(a: Arr, j: int, lo: int, hi: int, start: float) -> float:
    """min(start, a[lo:hi, j]); fastmath lets LLVM vectorise (windows hold no NaN)."""
    m = start
    for u in range(lo, hi):
        m = min(m, a[u, j])
    return m


@jit(nogil=True, fastmath=True, error_model="python")
def _window_max(a: Arr, j: int, lo: int, hi: int, start: float) -> float:
    m = start
    for u in range(lo, hi):
        m = max(m, a[u, j])
    return m


@jit(nogil=True, error_model="python")
def _drawdown(
    close: Arr, j: int, lo: int, hi: int, c0: float, d: float, peak: float, ratio: float
) -> tuple[float, float]:
    """Advance a position's running peak and worst value/peak ratio over close[lo:hi, j].

    In price units: a long is worth close, a short 2*c0 - close (the same ratios as 1 + d*(close/c0 - 1)).
    Branch-free (a max, a division and a min per bar): faster than dividing only on a new worst.
    """
    if d > 0.0:
        for u in range(lo, hi):
            x = close[u, j]
            peak = max(peak, x)
            ratio = min(ratio, x / peak)
    else:
        for u in range(lo, hi):
            x = 2.0 * c0 - close[u, j]
            peak = max(peak, x)
            ratio = min(ratio, x / peak)
    return peak, ratio


@jit(nogil=True, error_model="python")
def _kth(a: Arr, m: int, kth: int) -> float:
    """The kth smallest of a[:m] (0-based) by quickselect, reordering a[:m] in place.

    Afterwards a[kth] holds it, a[:kth] nothing larger and a[kth + 1 : m] nothing smaller.
    """
    lo = 0
    hi = m - 1
    while hi > lo:
        mid = (lo + hi) >> 1
        if a[mid] < a[lo]:  # median of three as the pivot
            a[mid], a[lo] = a[lo], a[mid]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[mid]:
            a[hi], a[mid] = a[mid], a[hi]
        p = a[mid]
        i = lo
        j = hi
        while i <= j:
            while a[i] < p:
                i += 1
            while p < a[j]:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if kth <= j:
            hi = j
        elif kth >= i:
            lo = i
        else:
            break
    return float(a[kth])


@jit(nogil=True, error_model="python")
def _median(a: Arr, m: int) -> float:
    """Median of a[:m] (mean of the two middle values when m is even), reordering a[:m].

    The same order statistics as sorting, so the same value to the last bit, in O(m).
    """
    lo: float = _kth(a, m, (m - 1) // 2)
    if m % 2:
        return 0.5 * (lo + lo)
    hi: float = a[m // 2]
    for e in range(m // 2 + 1, m):
        hi = min(hi, a[e])
    return 0.5 * (lo + hi)


@jit(nogil=True, error_model="python")
def study(
    close: Arr, entry: Arr, high: Arr, low: Arr, mask: Arr, first: Arr,
    horizons: Arr, direction: int, mu: Arr,
    o_count: Arr, o_excluded: Arr, o_hits: Arr, o_mean: Arr,
    o_m2: Arr, o_median: Arr, o_baseline: Arr, o_worst: Arr, o_dd_median: Arr, o_dd_worst: Arr,
    risk: bool = True,
) -> None:  # fmt: skip
    """Per column j and horizon k: event count, excluded, hits, mean, M2, median, baseline, worst MAE,
    and the median and worst of the events' maximum drawdowns over the holding period.

    An event's drawdown at horizon h is the worst fall of the position's value, marked to the
    closes of bars t+1..t+h, from its running peak (the entry value 1 included), floored at -1.
    `risk=False` skips the drawdowns (their outputs stay NaN).

    `horizons` must be sorted ascending: one scan of each event's window serves every horizon.
    direction 0 means "the event bar's own move" (close[t] >= close[t-1] -> +1, else -1).
    Outputs are (H, N) and must be pre-filled (0 for counts, NaN for floats).
    """
    n_bars, n_inst = close.shape
    n_h = horizons.shape[0]
    rows = np.empty(n_bars, dtype=np.int64)
    dirs = np.empty(n_bars)
    n = np.zeros(n_h, dtype=np.int64)
    excl = np.zeros(n_h, dtype=np.int64)
    hits = np.zeros(n_h, dtype=np.int64)
    total = np.zeros(n_h)
    sum_d = np.zeros(n_h)
    worst = np.zeros(n_h)
    for j in range(n_inst):
        n_ev = 0
        for t in range(max(first[j], 0), n_bars):
            if mask[t, j]:
                rows[n_ev] = t
                d = float(direction)
                if direction == 0:
                    d = 1.0 if t == 0 or close[t, j] >= close[t - 1, j] else -1.0
                dirs[n_ev] = d
                n_ev += 1
        if n_ev == 0:
            continue
        buf = np.empty((n_h, n_ev))
        ddb = np.empty((n_h, n_ev))
        n[:] = 0
        excl[:] = 0
        hits[:] = 0
        total[:] = 0.0
        sum_d[:] = 0.0
        worst[:] = 0.0
        for e in range(n_ev):
            t = rows[e]
            d = dirs[e]
            c0 = entry[t, j]
            ext = np.inf if d > 0.0 else -np.inf
            u = t + 1
            peak = c0
            ratio = 1.0
            for k in range(n_h):
                h = horizons[k]
                if t + h > n_bars - 1:
                    for kk in range(k, n_h):
                        excl[kk] += 1
                    break
                if d > 0.0:
                    ext = _window_min(low, j, u, t + h + 1, ext)
                    adverse = ext / c0 - 1.0
                else:
                    ext = _window_max(high, j, u, t + h + 1, ext)
                    adverse = 1.0 - ext / c0
                if risk:
                    peak, ratio = _drawdown(close, j, u, t + h + 1, c0, d, peak, ratio)
                u = t + h + 1
                s = d * (close[t + h, j] / c0 - 1.0)
                buf[k, n[k]] = s
                ddb[k, n[k]] = max(ratio - 1.0, -1.0)
                n[k] += 1
                total[k] += s
                sum_d[k] += d
                if s > 0.0:
                    hits[k] += 1
                worst[k] = min(worst[k], adverse)
        for k in range(n_h):
            m = n[k]
            o_count[k, j] = m
            o_excluded[k, j] = excl[k]
            o_hits[k, j] = hits[k]
            if m == 0:
                continue
            mean = total[k] / m
            m2 = 0.0
            for e in range(m):
                m2 += (buf[k, e] - mean) ** 2
            o_mean[k, j] = mean
            o_m2[k, j] = m2
            o_median[k, j] = _median(buf[k], m)
            o_baseline[k, j] = mu[k, j] * (sum_d[k] / m)
            o_worst[k, j] = worst[k]
            if not risk:
                continue
            w = 0.0
            for e in range(m):
                w = min(w, ddb[k, e])
            o_dd_worst[k, j] = w
            o_dd_median[k, j] = _median(ddb[k], m)


@jit(nogil=True, error_model="python")
def simulate(
    open_: Arr, close: Arr, entries: Arr, directions: Arr, exits: Arr, has_exits: bool,
    start: int, hold: int, equity: Arr, in_pos: Arr,
) -> tuple[int, int]:  # fmt: skip
    """The strategy view's trades (rules in backtest.strategy); fills equity/in_pos from `start` on.

    Returns (trades, winning trades).
    """
    n = close.shape[0]
    level = 1.0
    pos = start  # next bar whose equity is still to be written
    trades = 0
    wins = 0
    t = start
    while t < n - 1:
        if not entries[t] or t + 1 < pos:
            t += 1
            continue
        entry = t + 1
        out = t + hold + 1
        if has_exits:
            for u in range(entry, min(out - 1, n)):
                if exits[u]:
                    out = u + 1
                    break
        d = directions[t]
        px = open_[entry]
        for b in range(pos, entry):
            equity[b - start] = level
            in_pos[b - start] = False
        end = min(out, n)
        for b in range(entry, end):
            equity[b - start] = level * (1.0 + d * (close[b] / px - 1.0))
            in_pos[b - start] = True
        gain = d * (open_[out] / px - 1.0) if out <= n - 1 else d * (close[n - 1] / px - 1.0)
        trades += 1
        if gain > 0.0:
            wins += 1
        level *= 1.0 + gain
        pos = end
        t = max(t + 1, out - 1)
    for b in range(pos, n):
        equity[b - start] = level
        in_pos[b - start] = False
    return trades, wins


@jit(nogil=True, error_model="python")
def curve_metrics(equity: Arr) -> tuple[float, float, float, float]:
    """(final value, mean and sample sd of daily returns, max drawdown) of a curve starting at 1.0."""
    m = equity.shape[0]
    prev = 1.0
    peak = 1.0
    worst = 0.0
    total = 0.0
    for b in range(m):
        total += equity[b] / prev - 1.0
        prev = equity[b]
        peak = max(peak, prev)
        worst = min(worst, prev / peak - 1.0)
    mean = total / m if m else 0.0
    prev = 1.0
    ss = 0.0
    for b in range(m):
        r = equity[b] / prev - 1.0
        ss += (r - mean) ** 2
        prev = equity[b]
    sd = np.sqrt(ss / (m - 1)) if m > 1 else 0.0
    return prev, mean, sd, worst
