"""Batch and live loops for the Bollinger / 52-week rules (`_bands.step`) and the chart patterns
(`_patterns.step`): both paths call the same two `step`s for every bar, so their values and
events are identical, as for the moving-average rules of `_kernel`.

Event bits here are local: bit b <-> `SignalType` number `FIRST + b` (BB_UPPER_BREAK ..
DOUBLE_BOTTOM). A pattern of kind k (1..4) is bit `4 + k`.
"""

from __future__ import annotations

import numpy as np

from signals import _bands as B
from signals import _patterns as P
from signals._types import Arr, jit

FIRST = 7  # SignalType index of BB_UPPER_BREAK
N_BITS = 9
PATTERN_BITS = 0b111100000  # the four pattern kinds' bits
EV_COLS = 16  # row, column, kind, 5 swing stamps, 5 swing closes, neckline start, neckline, target

BandParams = tuple[int, float, int, int, int]
PatternParams = tuple[int, float, float, int, int]


@jit(inline="always")
def _bar(bs: B.BandState, ring: Arr, bwr: Arr, ps: Arr, i: int, c: float, lc: float, ts: float,
         bprm: BandParams, pprm: PatternParams, enabled: int
         ) -> tuple[B.BandState, int, int, float, float, float, float, float, float]:  # fmt: skip
    """Both steps for one bar: (band state after it, bits, pattern kind, middle, upper, lower,
    bandwidth, prior high, prior low). The pattern step runs only where a pattern type is enabled
    (`ps` is then left as it was)."""
    bs, bits, mid, up, lo, bw, hi, lw = B.step(ring, bwr, i, c, bs, bprm, enabled)
    kind = P.step(ps, c, lc, ts, pprm) if enabled & PATTERN_BITS else 0
    if kind and (enabled >> (4 + kind)) & 1:
        bits |= 1 << (4 + kind)
    else:
        kind = 0
    return bs, bits, kind, mid, up, lo, bw, hi, lw


@jit(nogil=True, nrt=False)
def history(
    close: Arr, ring: Arr, bwr: Arr, ps: Arr, logs: Arr, bprm: BandParams, pprm: PatternParams, enabled: int,
    o_mid: Arr, o_up: Arr, o_lo: Arr, o_bw: Arr, o_hi: Arr, o_low: Arr, o_bits: Arr, ev: Arr,
) -> int:  # fmt: skip
    """Batch path over a (n_bars, n_inst) column block of valid closes (NaN = no bar).

    `ring` / `bwr` are scratch rings of `_bands.ring_sizes` rows and one column, `ps` a pattern
    state vector, `logs` a scratch vector of `n_bars`, reused column after column (a column reads
    only ring rows it wrote; `ps` is cleared). Where a pattern type is enabled, a column's log
    closes are taken in a loop of their own before its bars: `np.log` is a call, and a call in
    the bar loop makes the compiler save and restore every register the band state lives in
    (the live path calls the same scalar `np.log`, so the values are the same). Compiled without
    reference counting, like `_kernel.history`. Pattern events go to
    the rows of `ev` (swing stamps are row indices); returns the number of events, which may
    exceed `ev`'s rows (then only the first ones were written: call again with more rows).
    """
    n_bars, n_inst = close.shape
    nan = np.nan
    found = 0
    cap = ev.shape[0]
    for col in range(n_inst):
        bs = B.start()
        ps[:] = 0.0  # `_patterns.new_state`
        if enabled & PATTERN_BITS:
            for t in range(n_bars):
                logs[t] = np.log(close[t, col])
        for t in range(n_bars):
            c = close[t, col]
            if np.isnan(c):
                o_mid[t, col] = o_up[t, col] = o_lo[t, col] = o_bw[t, col] = nan
                o_hi[t, col] = o_low[t, col] = nan
                o_bits[t, col] = 0
                continue
            bs, bits, kind, mid, up, lo, bw, hi, lw = _bar(bs, ring, bwr, ps, 0, c, logs[t], float(t), bprm,
                                                           pprm, enabled)  # fmt: skip
            o_mid[t, col] = mid
            o_up[t, col] = up
            o_lo[t, col] = lo
            o_bw[t, col] = bw
            o_hi[t, col] = hi
            o_low[t, col] = lw
            o_bits[t, col] = bits
            if kind:
                if found < cap:
                    write_event(ev[found], ps, kind, float(t), float(col))
                found += 1
    return found


@jit(inline="always")
def write_event(row: Arr, ps: Arr, kind: int, t: float, col: float) -> None:
    """One pattern event's geometry from the pattern state right after its confirming bar."""
    row[0] = t
    row[1] = col
    row[2] = kind
    for j in range(P.NPIV):
        row[3 + j] = ps[P.F_PTS + j]
        row[8 + j] = ps[P.F_PPRICE + j]
    start, now, target = P.geometry(ps, kind)
    row[13] = start
    row[14] = now
    row[15] = target


@jit(nrt=False)
def update(
    bst: Arr, ring: Arr, bwr: Arr, pst: Arr, seen: Arr, slots: Arr, ts: Arr, close: Arr, status: Arr,
    bprm: BandParams, pprm: PatternParams, enabled: int, emit: bool, o_bits: Arr, ev: Arr,
) -> None:  # fmt: skip
    """Live path after `_live.update` decided each row's status (0 new bar, 1 correction of the
    last bar, else skipped). `bst`/`pst` hold (after, before) the last bar: a new bar copies the
    first to the second and advances it; a correction advances again from the second. `seen[i]`
    holds the bits already emitted for the last bar (dedup across corrections). A fired pattern
    leaves its geometry in `ev[k]`. Without an enabled pattern type `pst` is not touched.
    Compiled without reference counting (allocates nothing)."""
    patterns = enabled & PATTERN_BITS != 0
    for k in range(slots.shape[0]):
        o_bits[k] = 0
        st = status[k]
        if st > 1:
            continue
        i = slots[k]
        src, dst = (0, 1) if st == 0 else (1, 0)
        _copy(bst, src, dst, i)
        if patterns:
            _copy(pst, src, dst, i)
        done = 0 if st == 0 else seen[i]
        c = close[k]
        lc = np.log(c) if patterns else 0.0
        bs, bits, kind, _m, _u, _l, _w, _h, _o = _bar(B.load(bst[0, i]), ring, bwr, pst[0, i], i, c, lc,
                                                      float(ts[k]), bprm, pprm, enabled)  # fmt: skip
        B.store(bst[0, i], bs)
        if kind:
            write_event(ev[k], pst[0, i], kind, 0.0, float(i))
        seen[i] = done | bits
        o_bits[k] = (bits & ~done) if emit else 0


@jit(inline="always")
def _copy(a: Arr, src: int, dst: int, i: int) -> None:
    """a[dst, i] = a[src, i], field by field (a whole-row assignment would allocate a temporary)."""
    for f in range(a.shape[2]):
        a[dst, i, f] = a[src, i, f]


@jit()
def last_values(bst: Arr, i: int, bprm: BandParams) -> tuple[float, float, float, float, float, float]:
    """(middle, upper, lower, bandwidth, prior 52-week high, prior 52-week low) after row i's last bar:
    the bands from its record, the prior extremes from the record before the last bar."""
    s = bst[0, i]
    b = bst[1, i]
    mid, up, lo = B.bands(s, bprm[0], bprm[1])
    full = b[B.F_N] >= bprm[4]
    hi = b[B.F_MAX] if full else np.nan
    lw = b[B.F_MIN] if full else np.nan
    return mid, up, lo, (up - lo) / mid, hi, lw
