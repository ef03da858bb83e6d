"""The one implementation of indicator updates and event rules, shared by the live and batch paths.

State of instrument `i`:
- `cring[:L, i]` the last L adjusted closes (L = max(sma_fast, sma_slow)), `vring[:W, i]` volumes
  (ring slot first: instruments with aligned histories write neighbouring memory);
- `f[i, b, :NF]` float scalars (running sums, Wilder averages, last indicator values) and
  `g[i, b, :NG]` integer scalars (bars seen, ring positions, recompute counters), in two buffers
  b = 0/1 (live: after and before the last bar, so that a correction needs no copying).

Running sums are exactly recomputed from the ring every window length (amortised O(1)), so
floating-point drift stays bounded over any history length; a window of zero volumes sums to
exactly 0. Both paths call `run` for every bar, so indicator values and tie decisions are
bit-identical between live updates and backtests.
"""

from __future__ import annotations

import numpy as np

from signals._types import Arr, jit

# float state fields
SUM_F = 0  # running sum of the fast window
SUM_S = 1  # running sum of the slow window
SUM_V = 2  # running sum of the volume window
GAIN = 3  # Wilder average gain (sum of gains while seeding)
LOSS = 4  # Wilder average loss (sum of losses while seeding)
CLOSE = 5  # last close
FAST = 6  # last sma_fast
SLOW = 7  # last sma_slow
RSI = 8  # last rsi
VAVG = 9  # last vol_avg (mean of the last W volumes, this bar included)
VBASE = 10  # baseline of the last bar's spike test (vol_avg of the bar before it)
SPIKE = 11  # last bar's spike state: 1.0, 0.0 or NaN (undefined)
VOL = 12  # last volume
NF = 13

# integer state fields
N = 0  # bars seen
POS = 1  # next write index in the close ring
VPOS = 2  # next write index in the volume ring
CNT_F = 3  # bars since the fast sum was last recomputed exactly
CNT_S = 4  # same for the slow sum
CNT_V = 5  # same for the volume sum
NZV = 6  # non-zero volumes in the volume window
NG = 7

# event bits, in core.types.SignalType declaration order
B_BREAKOUT = 1
B_BREAKDOWN = 2
B_GOLDEN = 4
B_DEATH = 8
B_OVERBOUGHT = 16
B_OVERSOLD = 32
B_SPIKE = 64
N_TYPES = 7

# live status codes
ST_NEW = 0
ST_CORRECTED = 1
ST_OLD = 2
ST_INVALID = 3

TS_NONE = np.iinfo(np.int64).min


@jit()
def new_float_state(rows: int) -> Arr:
    """Float state for `rows` instruments that have seen no bar: zero sums, NaN last values."""
    f = np.zeros((rows, NF), dtype=np.float64)
    f[:, CLOSE:] = np.nan
    return f


@jit(inline="always")
def rules(
    pc: float, c: float, pf: float, fa: float, ps: float, sl: float,
    pr: float, r: float, psp: float, sp: float, ob: float, os_: float,
) -> int:  # fmt: skip
    """Event bits for the transition from the previous bar's values (p*) to this bar's."""
    bits = 0
    if not (np.isnan(ps) or np.isnan(sl)):
        if c > sl and not pc > ps:
            bits |= B_BREAKOUT
        if c < sl and not pc < ps:
            bits |= B_BREAKDOWN
        if not (np.isnan(pf) or np.isnan(fa)):
            if fa > sl and not pf > ps:
                bits |= B_GOLDEN
            if fa < sl and not pf < ps:
                bits |= B_DEATH
    if not (np.isnan(pr) or np.isnan(r)):
        if r > ob and not pr > ob:
            bits |= B_OVERBOUGHT
        if r < os_ and not pr < os_:
            bits |= B_OVERSOLD
    if not (np.isnan(psp) or np.isnan(sp)) and sp == 1.0 and psp == 0.0:
        bits |= B_SPIKE
    return int(bits)


@jit(inline="always")
def _window_sum(ring: Arr, i: int, last: int, length: int) -> float:
    """Sum of the `length` ring entries ending at ring index `last`, oldest first."""
    size = ring.shape[0]
    k = last - length + 1
    if k < 0:
        k += size
    s = 0.0
    for _ in range(length):
        s += ring[k, i]
        k += 1
        if k == size:
            k = 0
    return s


@jit(inline="always")
def run(
    cring: Arr, vring: Arr, f: Arr, g: Arr, i: int, src: int, dst: int,
    close: Arr, volume: Arr, col: int, t0: int, t1: int,
    prm: tuple[int, int, int, int, float, float, float, float], enabled: int,
    o_fast: Arr, o_slow: Arr, o_rsi: Arr, o_vavg: Arr, o_bits: Arr,
) -> int:  # fmt: skip
    """THE indicator and rule implementation: bars t0..t1-1 of column `col` for instrument i.

    The scalar state is read from buffer `src` (f[i, src], g[i, src]) and written to `dst`.

    Both paths call this: the batch path for whole columns, the live path for one bar per
    instrument, so indicator values and tie decisions are bit-identical. State is loaded into
    locals, advanced bar by bar, and stored. A NaN close is "no bar" (NaN outputs, state
    untouched). Returns -1, or the row of the first invalid bar (close not finite and > 0,
    volume not finite and >= 0), where it stops with the state of the bars before it stored.
    `prm` is (sma_fast, sma_slow, rsi_period, volume_window, overbought, oversold, multiple, flat).
    No integer division on the hot path: ring positions and recompute counters are carried.
    """
    fast, slow, period, win, ob, os_, mult, flat = prm
    size = cring.shape[0]
    nan = np.nan
    fi = f[i, src]
    sum_f, sum_s, sum_v, gain, loss = fi[SUM_F], fi[SUM_S], fi[SUM_V], fi[GAIN], fi[LOSS]
    pc, pfast, pslow, prsi, pvavg = fi[CLOSE], fi[FAST], fi[SLOW], fi[RSI], fi[VAVG]
    pbase, pspike, pv = fi[VBASE], fi[SPIKE], fi[VOL]
    gi = g[i, src]
    k, pos, vpos, cnt_f, cnt_s, cnt_v, nzv = (
        gi[N],
        gi[POS],
        gi[VPOS],
        gi[CNT_F],
        gi[CNT_S],
        gi[CNT_V],
        gi[NZV],
    )
    bad = -1
    for t in range(t0, t1):
        c = close[t, col]
        v = volume[t, col]
        if np.isnan(c):
            o_fast[t, col] = nan
            o_slow[t, col] = nan
            o_rsi[t, col] = nan
            o_vavg[t, col] = nan
            o_bits[t, col] = 0
            continue
        if not (c > 0.0 and v >= 0.0 and c < np.inf and v < np.inf):
            bad = t
            break
        j = pos - fast
        old_fast = cring[j + size if j < 0 else j, i]
        j = pos - slow
        old_slow = cring[j + size if j < 0 else j, i]
        cring[pos, i] = c
        old_v = vring[vpos, i]
        vring[vpos, i] = v

        # SMAs: running sums, recomputed exactly once per window length (bounded drift)
        cnt_f += 1
        if cnt_f == fast:
            sum_f = _window_sum(cring, i, pos, fast)
            cnt_f = 0
        else:
            sum_f = sum_f + c - (old_fast if k >= fast else 0.0)
        cnt_s += 1
        if cnt_s == slow:
            sum_s = _window_sum(cring, i, pos, slow)
            cnt_s = 0
        else:
            sum_s = sum_s + c - (old_slow if k >= slow else 0.0)
        sma_f = sum_f / fast if k + 1 >= fast else nan
        sma_s = sum_s / slow if k + 1 >= slow else nan

        # volume average (this bar included); the spike test uses the previous bar's average
        nzv += (1 if v != 0.0 else 0) - (1 if k >= win and old_v != 0.0 else 0)
        cnt_v += 1
        if cnt_v == win:
            cnt_v = 0
            sum_v = _window_sum(vring, i, vpos, win) if nzv else 0.0
        else:
            sum_v = sum_v + v - (old_v if k >= win else 0.0) if nzv else 0.0
        vavg = sum_v / win if k + 1 >= win else nan
        spike = nan if np.isnan(pvavg) else (1.0 if (pvavg > 0.0 and v >= mult * pvavg) else 0.0)

        # RSI: Wilder smoothing seeded with the simple mean of the first `period` changes (TA-Lib)
        rsi = nan
        if k >= 1:
            d = c - pc
            if k > period:
                loss *= period - 1
                gain *= period - 1
            loss -= d if d < 0.0 else 0.0  # branch-free: price changes are a coin toss
            gain += d if d > 0.0 else 0.0
            if k >= period:
                loss /= period
                gain /= period
                tot = gain + loss
                rsi = 100.0 * (gain / tot) if tot != 0.0 else flat

        bits = rules(pc, c, pfast, sma_f, pslow, sma_s, prsi, rsi, pspike, spike, ob, os_) & enabled
        k += 1
        pos += 1
        if pos == size:
            pos = 0
        vpos += 1
        if vpos == win:
            vpos = 0
        pbase = pvavg
        pc, pfast, pslow, prsi, pvavg, pspike, pv = c, sma_f, sma_s, rsi, vavg, spike, v
        o_fast[t, col] = sma_f
        o_slow[t, col] = sma_s
        o_rsi[t, col] = rsi
        o_vavg[t, col] = vavg
        o_bits[t, col] = bits
    fo = f[i, dst]
    fo[SUM_F], fo[SUM_S], fo[SUM_V], fo[GAIN], fo[LOSS] = sum_f, sum_s, sum_v, gain, loss
    fo[CLOSE], fo[FAST], fo[SLOW], fo[RSI], fo[VAVG] = pc, pfast, pslow, prsi, pvavg
    fo[VBASE], fo[SPIKE], fo[VOL] = pbase, pspike, pv
    go = g[i, dst]
    go[N], go[POS], go[VPOS], go[CNT_F], go[CNT_S], go[CNT_V], go[NZV] = (
        k,
        pos,
        vpos,
        cnt_f,
        cnt_s,
        cnt_v,
        nzv,
    )
    return bad


@jit(nogil=True)
def history(
    close: Arr, volume: Arr, fast: int, slow: int, period: int, win: int,
    ob: float, os_: float, mult: float, flat: float, enabled: int,
    o_fast: Arr, o_slow: Arr, o_rsi: Arr, o_vavg: Arr, o_bits: Arr,
) -> int:  # fmt: skip
    """Batch path over (n_bars, n_inst) arrays: `run` over each whole column.

    Fortran-ordered (column-contiguous) arrays are about twice as fast as C-ordered ones here.
    Releases the GIL: disjoint column blocks run on several threads at once.
    Returns -1, or the flat (row-major) index of the first invalid cell (outputs incomplete).
    """
    n_bars, n_inst = close.shape
    prm = (fast, slow, period, win, ob, os_, mult, flat)
    cring = np.zeros((max(fast, slow), 1))
    vring = np.zeros((win, 1))
    fresh = new_float_state(1)
    f = np.empty((1, 1, NF))
    g = np.zeros((1, 1, NG), dtype=np.int64)
    for j in range(n_inst):
        f[0, 0, :] = fresh[0, :]
        g[0, 0, :] = 0
        bad = run(cring, vring, f, g, 0, 0, 0, close, volume, j, 0, n_bars, prm, enabled,
                  o_fast, o_slow, o_rsi, o_vavg, o_bits)  # fmt: skip
        if bad >= 0:
            return bad * n_inst + j
    return -1


@jit()
def previous_valid(values: Arr, close: Arr) -> Arr:
    """Per column: the value at the previous row that has a bar (NaN before the first)."""
    out = np.empty_like(values)
    n_bars, n_inst = values.shape
    for j in range(n_inst):
        prev = np.nan
        for t in range(n_bars):
            if np.isnan(close[t, j]):
                out[t, j] = np.nan
            else:
                out[t, j] = prev
                prev = values[t, j]
    return out


@jit(nrt=False)
def update(
    close2: Arr, volume2: Arr, scratch: Arr, bits1: Arr,
    cring: Arr, vring: Arr, f: Arr, g: Arr, cur: Arr, oldc: Arr, oldv: Arr, last_ts: Arr, emitted: Arr,
    slots: Arr, ts: Arr, close: Arr, volume: Arr,
    fast: int, slow: int, period: int, win: int, ob: float, os_: float, mult: float, flat: float,
    enabled: int, emit: bool, o_status: Arr, o_bits: Arr,
) -> None:  # fmt: skip
    """Live path: apply bar k to instrument slots[k], in order.

    Double-buffered state: f[i, cur[i]] / g[i, cur[i]] is the state after the last bar, the other
    buffer the state before it. A new bar advances from the current buffer into the other one and
    flips `cur`; a bar with the last seen timestamp replaces the last bar: it advances again from
    the state before it (after putting back the ring slots the last bar overwrote, kept in
    oldc/oldv), so nothing is counted twice. An older bar is ignored; an invalid one (close not
    > 0, volume not >= 0, NaN) is rejected. Event bits already emitted for (instrument, type, ts)
    are cleared (dedup); with emit=False fired bits are recorded as emitted but returned as 0.

    `close2`/`volume2` are (1, n) views of `close`/`volume` and `scratch`/`bits1` (1, n) work
    arrays, made by the caller: compiled without reference counting (nrt=False), this function
    allocates nothing, which halves its cost per instrument (no atomic refcount traffic around
    the inlined `run`).
    """
    prm = (fast, slow, period, win, ob, os_, mult, flat)
    for k in range(slots.shape[0]):
        i = slots[k]
        t = ts[k]
        c = close[k]
        v = volume[k]
        o_bits[k] = 0
        if not (c > 0.0 and v >= 0.0 and c < np.inf and v < np.inf):
            o_status[k] = ST_INVALID
            continue
        if t < last_ts[i]:
            o_status[k] = ST_OLD
            continue
        now = cur[i]
        if t == last_ts[i]:
            src = 1 - now
            dst = now
            cring[g[i, src, POS], i] = oldc[i]
            vring[g[i, src, VPOS], i] = oldv[i]
            o_status[k] = ST_CORRECTED
        else:
            src = now
            dst = 1 - now
            oldc[i] = cring[g[i, src, POS], i]
            oldv[i] = vring[g[i, src, VPOS], i]
            cur[i] = dst
            o_status[k] = ST_NEW
        run(cring, vring, f, g, i, src, dst, close2, volume2, k, 0, 1, prm, enabled,
            scratch, scratch, scratch, scratch, bits1)  # fmt: skip
        bits = np.int64(bits1[0, k])
        last_ts[i] = t
        for b in range(N_TYPES if bits else 0):
            bit = 1 << b
            if bits & bit:
                if emitted[i, b] == t:
                    bits &= ~bit
                else:
                    emitted[i, b] = t
        o_bits[k] = bits if emit else 0
