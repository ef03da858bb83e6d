"""Bollinger bands, the squeeze and 52-week closing highs/lows: one `step` for the live and batch paths.

State of instrument `i` is a float64 vector `st[i, :]` (fields `F_*` below; counters are exact
small integers in float64) plus two rings: `ring[:size, i]` of its last closes (one slot longer than
the longer of the Bollinger and 52-week windows, so a correction of the last bar restores
nothing) and `bwr[:, i]` of its last bandwidths. The middle band is TA-Lib's SMA; the deviation is
TA-Lib's `BBANDS`/`STDDEV` population form, sqrt(mean of squares - mean squared), from running
sums recomputed exactly from the ring every `_RECOMPUTE` bars (bounded drift). A variance under
1e-13 of the squared mean (rounding noise of a flat window) counts as 0, a relative floor where
TA-Lib's is an absolute 1e-8: the same on every price scale.

The 52-week maximum and minimum are exact and O(1) a bar, without branches that depend on the
prices (van Herk / Gil-Werman blocks): every `w52` bars (a *boundary*) one backward pass over the
window stores, for each of its closes, the maximum and minimum from that close to the boundary
(`ring` rows `size..3*size`); between boundaries the state carries the running extremes of the
closes since the boundary, and the window's extreme is the stored one of its oldest close combined
with those. (Rescanning the window whenever its extreme left it read ~25 ring rows a bar on random walks: in
a falling market the maximum is the window's oldest close, so it left on almost every bar.)
Whether a bar is a boundary depends on the bar count only, not on the close, so a correction of
the last bar, advanced again from the state before it, rewrites the same rows.
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
F_RMAX = 6  # highest close since the last boundary (-inf: none)
F_MIN = 7
F_RMIN = 8
F_BWPOS = 9  # next write index in the bandwidth ring
F_BWN = 10  # bandwidths seen
F_BWMIN = 11  # lowest bandwidth of the last squeeze-window bars (this one included)
F_BWMIN_AGE = 12  # bandwidths since that one
F_SQ_AGE = 13  # bars since the last squeeze (large: none pending)
F_ARMED = 14  # rule bits this bar arms for the next one
F_BAGE = 15  # bars since the last boundary (large: none yet)
NF = 16

# event bits (local order: SignalType BB_UPPER_BREAK .. LOW_52W)
B_UPPER = 1
B_LOWER = 2
B_SQUEEZE = 4
B_HIGH = 8
B_LOW = 16

_RECOMPUTE = 1024
_NO_SQUEEZE = 1e18
_NO_SQUEEZE_AGE = 10**18  # the same, as an int (exact in float64)
_NO_BLOCK = 1 << 30
_FLAT = 1e-13


@jit()
def new_state(rows: int) -> Arr:
    st = np.zeros((rows, NF))
    st[:, F_SQ_AGE] = _NO_SQUEEZE
    st[:, F_RMAX] = -np.inf
    st[:, F_RMIN] = np.inf
    st[:, F_BAGE] = _NO_BLOCK
    return st


@jit()
def ring_sizes(bb: int, w52: int, squeeze: int) -> tuple[int, int]:
    """Rows of the close ring (closes, then the block maxima and minima: 3 x one more than the
    longer window) and of the bandwidth ring."""
    return 3 * (max(bb, w52) + 1), squeeze + 1


@jit(inline="always")
def _back(pos: int, lag: int, size: int) -> int:
    j = pos - lag
    return j + size if j < 0 else j


@jit(inline="always")
def _block(ring: Arr, i: Any, last: int, length: int, size: int) -> tuple[float, float]:
    """Store, for each of the `length` closes ending at ring row `last`, the max and min from it to
    `last` (rows size + j and 2 * size + j); returns those of the oldest (the window's extremes)."""
    mx = mn = ring[last, i]
    j = last
    for _ in range(length):
        x = ring[j, i]
        mx = max(mx, x)
        mn = min(mn, x)
        ring[size + j, i] = mx
        ring[2 * size + j, i] = mn
        j = size - 1 if j == 0 else j - 1
    return mx, mn


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


# The state as a tuple of scalars, in the order of the F_* fields (counters as ints): `step` takes
# and returns it, so the batch loop keeps it in registers and the live path reads and writes a
# record once per bar (`load` / `store`).
BandState = tuple[
    int, int, float, float, int, float, float, float, float, int, int, float, int, int, int, int
]


@jit(inline="always")
def start() -> BandState:
    """The state of an instrument that has seen no bar (as `new_state`)."""
    return (0, 0, 0.0, 0.0, 0, 0.0, -np.inf, 0.0, np.inf, 0, 0, 0.0, 0, _NO_SQUEEZE_AGE, 0, _NO_BLOCK)


@jit(inline="always")
def load(s: Arr) -> BandState:
    """The state held in record `s`."""
    return (int(s[F_N]), int(s[F_POS]), s[F_SUM], s[F_SUMSQ], int(s[F_CNT]), s[F_MAX], s[F_RMAX],
            s[F_MIN], s[F_RMIN], int(s[F_BWPOS]), int(s[F_BWN]), s[F_BWMIN], int(s[F_BWMIN_AGE]),
            int(min(s[F_SQ_AGE], _NO_SQUEEZE)), int(s[F_ARMED]), int(s[F_BAGE]))  # fmt: skip


@jit(inline="always")
def store(s: Arr, st: BandState) -> None:
    """Write state `st` into record `s`."""
    s[F_N], s[F_POS], s[F_SUM], s[F_SUMSQ], s[F_CNT] = st[0], st[1], st[2], st[3], st[4]
    s[F_MAX], s[F_RMAX], s[F_MIN], s[F_RMIN] = st[5], st[6], st[7], st[8]
    s[F_BWPOS], s[F_BWN], s[F_BWMIN], s[F_BWMIN_AGE] = st[9], st[10], st[11], st[12]
    s[F_SQ_AGE], s[F_ARMED], s[F_BAGE] = st[13], st[14], st[15]


@jit(inline="always")
def step(
    ring: Arr, bwr: Arr, i: Any, c: float, st: BandState,
    prm: tuple[int, float, int, int, int], enabled: int,
) -> tuple[BandState, int, float, float, float, float, float, float]:  # fmt: skip
    """Advance state `st` by one valid close `c` of instrument `i` (written into the rings).

    `prm` = (bb period, deviations, squeeze window, squeeze within, w52). Returns (the new state,
    event bits, middle, upper, lower, bandwidth, previous 52-week high, previous 52-week low): the
    highs and lows are over the `w52` closes before this bar (NaN until there are that many),
    which this close must exceed for `high_52w`.
    """
    bb, nbdev, sqw, within, w52 = prm
    k, pos, tot, sq, cnt, mx, rmx, mn, rmn, bpos, nbw, bwmin, bwmin_age, sq_age, armed, bage = st
    cnt += 1
    size = ring.shape[0] // 3
    old = ring[_back(pos, bb, size), i]
    full52 = k >= w52
    prev_max = mx if full52 else np.nan
    prev_min = mn if full52 else np.nan
    ring[pos, i] = c

    if cnt >= _RECOMPUTE:
        cnt = 0
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

    # max / min of the last w52 closes, this one included (blocks: see the module's docstring)
    bage += 1
    if k >= w52 - 1 and bage >= w52:  # a boundary: the block extremes of the window's closes
        bage = 0
        rmx, rmn = -np.inf, np.inf
        mx, mn = _block(ring, i, pos, w52, size)
    else:
        rmx = max(rmx, c)
        rmn = min(rmn, c)
        mx, mn = rmx, rmn
        if k >= w52 - 1:  # the window's oldest close is in the block before the boundary
            j = _back(pos, w52 - 1, size)
            mx = max(mx, ring[size + j, i])
            mn = min(mn, ring[2 * size + j, i])
    n = k + 1

    mid = up = lo = bw = np.nan
    squeeze_fire = False
    if n >= bb:
        mid, up, lo = _bands_of(tot, sq, bb, nbdev)
        bw = (up - lo) / mid
        bsize = bwr.shape[0]
        bwr[bpos, i] = bw
        nbw += 1
        if nbw == 1 or bw <= bwmin:
            bwmin, bwmin_age = bw, 0
        else:
            bwmin_age += 1
            if bwmin_age >= sqw:
                bwmin, bwmin_age = _rescan(bwr, i, bpos, sqw, -1.0)
        bpos = 0 if bpos == bsize - 1 else bpos + 1
        if nbw >= sqw and bwmin_age == 0:  # the narrowest of the last sqw bandwidths
            sq_age = 0
        elif sq_age < _NO_SQUEEZE_AGE:
            sq_age += 1
        if (c > up or c < lo) and sq_age <= within:
            squeeze_fire = True
            sq_age = _NO_SQUEEZE_AGE  # one breakout per squeeze

    level = (c > up) * B_UPPER | (c < lo) * B_LOWER | (c > prev_max) * B_HIGH | (c < prev_min) * B_LOW
    defined = (mid == mid) * (B_UPPER | B_LOWER) | full52 * (B_HIGH | B_LOW)
    bits = (level & armed | squeeze_fire * B_SQUEEZE) & enabled
    pos = 0 if pos == size - 1 else pos + 1
    arm = defined & ~level
    out = (n, pos, tot, sq, cnt, mx, rmx, mn, rmn, bpos, nbw, bwmin, bwmin_age, sq_age, arm, bage)
    return out, bits, mid, up, lo, bw, prev_max, prev_min
