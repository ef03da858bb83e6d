"""Chart patterns from swing points: one `step` for the live and batch paths, closed bars only.

Swing points come from a zigzag on log closes: an up-leg's highest close becomes a swing high
once a later close is `swing` x the volatility below it (volatility: Wilder's average of the
absolute log change, `period` bars, seeded with the simple mean like RSI), and the mirror for
lows. Log prices and a volatility-relative threshold make detection independent of the price
scale. The last five swing points are kept. When a swing point is confirmed, the newest three or
five are tested for a pattern; a pattern found is *pending*, and it is reported on the first
close through its neckline (a top: below it; a bottom: above it) before the next swing point is
confirmed and within `max_bars` bars of its first swing point. Its swing points must span at
least `min_bars` bars (first to last): a handful of days is noise, not a formation. Nothing
about a bar is used before that bar has closed, so live and batch see the same events on the
same bars.

- double top: swing high H1, low L, high H2 with |H1 - H2| <= tol (log units); neckline the
  close at L (flat); target neckline - (max(H1, H2) - neckline).
- head and shoulders: highs LS, HEAD, RS and lows T1, T2 between them; HEAD above both
  shoulders by more than tol, |LS - RS| <= tol, each shoulder above both troughs; neckline the
  line through T1 and T2 (in price, by bar count); target neckline at the break - (HEAD -
  neckline at HEAD's bar).
- double bottom and inverse head and shoulders: the mirror images.

`tol` = `tolerance` x the swing threshold at the confirming swing point.
"""

from __future__ import annotations

import numpy as np

from signals._types import Arr, jit

F_N = 0
F_LC = 1  # last log close
F_VOL = 2  # Wilder average absolute log change (a sum while seeding)
F_DIR = 3  # +1 up-leg, -1 down-leg, 0 none yet
F_HI = 4  # log, price, bar number, stamp of the leg's highest close
F_LO = 8  # the same for the lowest close
F_NPIV = 12  # swing points seen (capped at 5)
F_PEND = 13  # pending pattern kind (0 none)
F_PLOG = 14  # swing points, oldest first: 5 log closes,
F_PPRICE = 19  # 5 closes,
F_PN = 24  # 5 bar numbers,
F_PTS = 29  # 5 stamps (live: microseconds; batch: row index)
F_PTYPE = 34  # type of the newest swing point: +1 high, -1 low
NF = 35
NPIV = 5

# pattern kinds: head-and-shoulders family <= IHS, tops odd
HS = 1  # head_and_shoulders
IHS = 2  # inverse_head_and_shoulders
DTOP = 3  # double_top
DBOT = 4  # double_bottom


@jit()
def new_state(rows: int) -> Arr:
    return np.zeros((rows, NF))


@jit(inline="always")
def _set_ext(s: Arr, at: int, lc: float, c: float, n: float, ts: float) -> None:
    s[at] = lc
    s[at + 1] = c
    s[at + 2] = n
    s[at + 3] = ts


@jit(inline="always")
def _push(s: Arr, at: int, kind: float) -> None:
    """Append the leg extreme stored at `at` as the newest swing point."""
    for j in range(NPIV - 1):
        for f in (F_PLOG, F_PPRICE, F_PN, F_PTS):
            s[f + j] = s[f + j + 1]
    for off, f in enumerate((F_PLOG, F_PPRICE, F_PN, F_PTS)):
        s[f + NPIV - 1] = s[at + off]
    s[F_NPIV] = min(s[F_NPIV] + 1.0, NPIV)
    s[F_PTYPE] = kind


@jit(inline="always")
def _classify(s: Arr, sign: float, tol: float, min_bars: int) -> int:
    """The pattern the newest swing point completes (sign +1: it is a high, tops; -1: bottoms)."""
    npiv = s[F_NPIV]
    ls, t1, head = sign * s[F_PLOG], sign * s[F_PLOG + 1], sign * s[F_PLOG + 2]
    t2, rs = sign * s[F_PLOG + 3], sign * s[F_PLOG + 4]
    span5 = s[F_PN + 4] - s[F_PN]
    span3 = s[F_PN + 4] - s[F_PN + 2]
    shoulders = head - max(ls, rs) > tol and abs(ls - rs) <= tol and min(ls, rs) > max(t1, t2)
    if npiv >= 5 and span5 >= min_bars and shoulders:
        return HS if sign > 0 else IHS
    if npiv >= 3 and span3 >= min_bars and abs(head - rs) <= tol:
        return DTOP if sign > 0 else DBOT
    return 0


@jit(inline="always")
def neckline(s: Arr, kind: int, n: float) -> float:
    """The neckline's price at bar number `n` for a pending pattern of `kind`."""
    if kind > IHS:  # double top / bottom: flat
        return float(s[F_PPRICE + 3])
    p1, p2 = s[F_PPRICE + 1], s[F_PPRICE + 3]
    n1, n2 = s[F_PN + 1], s[F_PN + 3]
    return float(p1 + (p2 - p1) * (n - n1) / (n2 - n1))


@jit(inline="always")
def geometry(s: Arr, kind: int) -> tuple[float, float, float]:
    """(neckline at the pattern's first swing point, neckline at the confirming bar, measured-move
    target) of a pattern just reported (its swing points are still the newest in `s`)."""
    n = s[F_N]
    first = s[F_PN + (0 if kind <= IHS else 2)]
    start = neckline(s, kind, first)
    now = neckline(s, kind, n)
    if kind <= IHS:
        height = s[F_PPRICE + 2] - neckline(s, kind, s[F_PN + 2])
    else:
        a, b = s[F_PPRICE + 2], s[F_PPRICE + 4]
        peak = max(a, b) if kind == DTOP else min(a, b)
        height = peak - now
    return start, now, now - height


@jit(inline="always")
def step(s: Arr, c: float, lc: float, ts: float, prm: tuple[int, float, float, int, int]) -> int:
    """Advance state vector `s` (in place) by one valid close `c` (`lc` = `np.log(c)`); the pattern
    kind it confirms (0 none).

    `prm` = (volatility period, swing multiple, tolerance, max bars, min bars).
    """
    period, swing, tolerance, max_bars, min_bars = prm
    k = s[F_N]
    if k >= 1:
        d = abs(lc - s[F_LC])
        vol = s[F_VOL]
        if k > period:
            vol *= period - 1
        vol += d
        if k >= period:
            vol *= 1.0 / period
        s[F_VOL] = vol
    s[F_LC] = lc
    n = k + 1.0
    s[F_N] = n
    direction = s[F_DIR]
    if k == 0:
        _set_ext(s, F_HI, lc, c, n, ts)
        _set_ext(s, F_LO, lc, c, n, ts)
    if direction >= 0 and lc > s[F_HI]:
        _set_ext(s, F_HI, lc, c, n, ts)
    if direction <= 0 and lc < s[F_LO]:
        _set_ext(s, F_LO, lc, c, n, ts)
    if k >= period:  # volatility defined
        thr = swing * s[F_VOL]
        if direction >= 0 and lc <= s[F_HI] - thr and s[F_HI + 2] < n:
            _push(s, F_HI, 1.0)
            s[F_DIR] = -1.0
            _set_ext(s, F_LO, lc, c, n, ts)
            s[F_PEND] = _classify(s, 1.0, tolerance * thr, min_bars)
        elif direction <= 0 and lc >= s[F_LO] + thr and s[F_LO + 2] < n:
            _push(s, F_LO, -1.0)
            s[F_DIR] = 1.0
            _set_ext(s, F_HI, lc, c, n, ts)
            s[F_PEND] = _classify(s, -1.0, tolerance * thr, min_bars)
    kind = int(s[F_PEND])
    if kind == 0:
        return 0
    first = s[F_PN + (0 if kind <= IHS else 2)]
    if n - first > max_bars:
        s[F_PEND] = 0.0
        return 0
    neck = neckline(s, kind, n)
    top = kind % 2 == 1  # HS and DTOP are odd
    if (c < neck) if top else (c > neck):
        s[F_PEND] = 0.0
        return kind
    return 0
