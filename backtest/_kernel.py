"""numba kernels of the event study: one pass per instrument column; they release the GIL."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

Arr = NDArray[Any]


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def baseline(close: Arr, first: Arr, horizons: Arr, out: Arr) -> None:
    """out[k, j]: mean of close[t+h]/close[t] - 1 over rows first[j] <= t <= n-1-h (NaN if none)."""
    n_bars, n_inst = close.shape
    for j in range(n_inst):
        for k in range(horizons.shape[0]):
            h = horizons[k]
            s = 0.0
            n = 0
            for t in range(first[j], n_bars - h):
                s += close[t + h, j] / close[t, j] - 1.0
                n += 1
            out[k, j] = s / n if n > 0 else np.nan


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def study(
    close: Arr, high: Arr, low: Arr, mask: Arr, first: Arr,
    horizons: Arr, direction: int, mu: Arr,
    o_count: Arr, o_excluded: Arr, o_hits: Arr, o_mean: Arr,
    o_m2: Arr, o_median: Arr, o_baseline: Arr, o_worst: Arr,
) -> None:  # fmt: skip
    """Per column j and horizon k: event count, excluded, hits, mean, M2, median, baseline, worst MAE.

    direction 0 means "the event bar's own move" (close[t] >= close[t-1] -> +1, else -1).
    Outputs are (H, N) and must be pre-filled (0 for counts, NaN for floats).
    """
    n_bars, n_inst = close.shape
    for j in range(n_inst):
        rows = np.empty(n_bars, dtype=np.int64)
        dirs = np.empty(n_bars)
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
        buf = np.empty(n_ev)
        for k in range(horizons.shape[0]):
            h = horizons[k]
            n = 0
            excl = 0
            hits = 0
            total = 0.0
            sum_d = 0.0
            worst = 0.0
            for e in range(n_ev):
                t = rows[e]
                if t + h > n_bars - 1:
                    excl += 1
                    continue
                d = dirs[e]
                c0 = close[t, j]
                s = d * (close[t + h, j] / c0 - 1.0)
                buf[n] = s
                n += 1
                total += s
                sum_d += d
                if s > 0.0:
                    hits += 1
                if d > 0.0:
                    ext = low[t + 1, j]
                    for u in range(t + 2, t + h + 1):
                        ext = min(ext, low[u, j])
                    adverse = ext / c0 - 1.0
                else:
                    ext = high[t + 1, j]
                    for u in range(t + 2, t + h + 1):
                        ext = max(ext, high[u, j])
                    adverse = 1.0 - ext / c0
                worst = min(worst, adverse)
            o_count[k, j] = n
            o_excluded[k, j] = excl
            o_hits[k, j] = hits
            if n == 0:
                continue
            mean = total / n
            m2 = 0.0
            for e in range(n):
                m2 += (buf[e] - mean) ** 2
            srt = np.sort(buf[:n])
            o_mean[k, j] = mean
            o_m2[k, j] = m2
            o_median[k, j] = 0.5 * (srt[(n - 1) // 2] + srt[n // 2])
            o_baseline[k, j] = mu[k, j] * (sum_d / n)
            o_worst[k, j] = worst
