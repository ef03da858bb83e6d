"""Bollinger bands, the squeeze and 52-week closing highs/lows: one `step` for the live and batch paths.

State of instrument `i` is a float64 vector `st[i, :]` (fields `F_*` below; counters are exact
small integers in float64) plus two rings: `ring[:, i]` of its last closes (one slot longer than
the longer of the Bollinger and 52-week windows, so a correction of the last bar restores
nothing) and `bwr[:, i]` of its last bandwidths. The middle band is TA-Lib's SMA; the deviation is
TA-Lib's `BBANDS`/`STDDEV` population form, sqrt(mean of squares - mean squared), from running
sums recomputed exactly from the ring every `_RECOMPUTE` bars (bounded drift). A variance under
1e-13 of the squared mean (rounding noise of a flat window) counts as 0, a relative floor where
TA-Lib's is an absolute 1e-8: the same on every price scale. Running maxima and minima carry
their age and rescan the ring only when the extreme leaves the window: exact, O(1) amortised.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from signals._types import Arr, jit

# state fields
F_N = 0  # bars seen
F_POS = 1  # next write index in the close ring
F_SUM = 2  # running sum of the Bollinger window
F_SUMSQ = 3  # running sum of squares of the Bollinger window
F_CNT = 4  # bars since the sums were recomputed exactly
F_MAX = 5  # highest close of the last w52 bars (this one included)
F_MAX_AGE = 6  # bars since that close
F_MIN = 7
F_MIN_AGE = 8
F_BWPOS = 9  # next write index in the bandwidth ring
F_BWN = 10  # bandwidths seen
F_BWMIN = 11  # lowest bandwidth of the last squeeze-window bars
F_BWMIN_AGE = 12
F_SQ_AGE = 13  # bars since the last squeeze (large: none pending)
F_ARMED = 14  # rule bits this bar arms for the next one
NF = 15

# event bits (local order: SignalType BB_UPPER_BREAK .. LOW_52W)
B_UPPER = 1
B_LOWER = 2
B_SQUEEZE = 4
B_HIGH = 8
B_LOW = 16

_RECOMPUTE = 1024
_NO_SQUEEZE = 1e18
_FLAT = 1e-13


@jit()
def new_state(rows: int) -> Arr:
    st = np.zeros((rows, NF))
    st[:, F_SQ_AGE] = _NO_SQUEEZE
    return st


@jit()
def ring_sizes(bb: int, w52: int, squeeze: int) -> tuple[int, int]:
    return max(bb, w52) + 1, squeeze + 1


@jit(inline="always")
def _back(pos: int, lag: int, size: int) -> int:
    j = pos - lag
    return j + size if j < 0 else j


@jit(inline="always")
def _rescan(ring: Arr, i: Any, last: int, length: int, sign: float) -> tuple[float, int]:
    """Extreme (max for sign 1, min for sign -1) of the `length` entries ending at `last`, and its
    age (0 = newest; the newest of equal extremes)."""
    size = ring.shape[0]
    best = ring[last, i]
    age = 0
    for a in range(1, length):
        x = ring[_back(last, a, size), i]
        if sign * x > sign * best:
            best = x
            age = a
    return best, age


@jit(inline="always")
def _bands_of(tot: float, sq: float, bb: int, nbdev: float) -> tuple[float, float, float]:
    mid = tot * (1.0 / bb)
    var = sq * (1.0 / bb) - mid * mid
    sd = np.sqrt(var) if var > _FLAT * mid * mid else 0.0
    return mid, mid + nbdev * sd, mid - nbdev * sd


@jit(inline="always")
def bands(s: Arr, bb: int, nbdev: float) -> tuple[float, float, float]:
    """(middle, upper, lower) from the state after a bar (NaN before `bb` bars)."""
    if s[F_N] < bb:
        return np.nan, np.nan, np.nan
    return _bands_of(s[F_SUM], s[F_SUMSQ], bb, nbdev)


@jit(inline="always")
def step(
    s: Arr, ring: Arr, bwr: Arr, i: Any, c: float,
    prm: tuple[int, float, int, int, int], enabled: int,
) -> tuple[int, float, float, float, float, float, float]:  # fmt: skip
    """Advance state vector `s` (in place) by one valid close `c` of instrument `i`.

    `prm` = (bb period, deviations, squeeze window, squeeze within, w52). Returns (event bits,
    middle, upper, lower, bandwidth, previous 52-week high, previous 52-week low): the highs and
    lows are over the `w52` closes before this bar (NaN until there are that many), which this
    close must exceed for `high_52w`.
    """
    bb, nbdev, sqw, within, w52 = prm
    # the record is read once into locals and written once at the end: ring writes in between
    # cannot alias it, so the compiler keeps the state in registers
    k = int(s[F_N])
    pos = int(s[F_POS])
    tot, sq, cnt = s[F_SUM], s[F_SUMSQ], s[F_CNT] + 1.0
    mx, mx_age, mn, mn_age = s[F_MAX], s[F_MAX_AGE], s[F_MIN], s[F_MIN_AGE]
    bpos, nbw, bwmin, bwmin_age = int(s[F_BWPOS]), s[F_BWN], s[F_BWMIN], s[F_BWMIN_AGE]
    sq_age, armed = s[F_SQ_AGE], int(s[F_ARMED])
    size = ring.shape[0]
    old = ring[_back(pos, bb, size), i]
    full52 = k >= w52
    prev_max = mx if full52 else np.nan
    prev_min = mn if full52 else np.nan
    ring[pos, i] = c

    if cnt >= _RECOMPUTE:
        cnt = 0.0
        tot = 0.0
        sq = 0.0
        for a in range(min(k + 1, bb)):
            x = ring[_back(pos, a, size), i]
            tot += x
            sq += x * x
    elif k >= bb:
        tot += c - old
        sq += c * c - old * old
    else:
        tot += c
        sq += c * c

    # running max / min of the last w52 closes, this one included
    if k == 0 or c >= mx:
        mx, mx_age = c, 0.0
    else:
        mx_age += 1.0
        if mx_age >= w52:
            mx, age = _rescan(ring, i, pos, w52, 1.0)
            mx_age = float(age)
    if k == 0 or c <= mn:
        mn, mn_age = c, 0.0
    else:
        mn_age += 1.0
        if mn_age >= w52:
            mn, age = _rescan(ring, i, pos, w52, -1.0)
            mn_age = float(age)
    n = k + 1

    mid = up = lo = bw = np.nan
    squeeze_fire = False
    if n >= bb:
        mid, up, lo = _bands_of(tot, sq, bb, nbdev)
        bw = (up - lo) / mid
        bsize = bwr.shape[0]
        bwr[bpos, i] = bw
        nbw += 1.0
        if nbw == 1.0 or bw <= bwmin:
            bwmin, bwmin_age = bw, 0.0
        else:
            bwmin_age += 1.0
            if bwmin_age >= sqw:
                bwmin, age = _rescan(bwr, i, bpos, sqw, -1.0)
                bwmin_age = float(age)
        bpos = 0 if bpos == bsize - 1 else bpos + 1
        if nbw >= sqw and bwmin_age == 0.0:  # the narrowest of the last sqw bandwidths
            sq_age = 0.0
        else:
            sq_age += 1.0
        if (c > up or c < lo) and sq_age <= within:
            squeeze_fire = True
            sq_age = _NO_SQUEEZE  # one breakout per squeeze

    level = (c > up) * B_UPPER | (c < lo) * B_LOWER | (c > prev_max) * B_HIGH | (c < prev_min) * B_LOW
    defined = (mid == mid) * (B_UPPER | B_LOWER) | full52 * (B_HIGH | B_LOW)
    bits = (level & armed | squeeze_fire * B_SQUEEZE) & enabled
    s[F_N] = n
    s[F_POS] = 0 if pos == size - 1 else pos + 1
    s[F_SUM], s[F_SUMSQ], s[F_CNT] = tot, sq, cnt
    s[F_MAX], s[F_MAX_AGE], s[F_MIN], s[F_MIN_AGE] = mx, mx_age, mn, mn_age
    s[F_BWPOS], s[F_BWN], s[F_BWMIN], s[F_BWMIN_AGE] = bpos, nbw, bwmin, bwmin_age
    s[F_SQ_AGE] = sq_age
    s[F_ARMED] = defined & ~level
    return bits, mid, up, lo, bw, prev_max, prev_min
