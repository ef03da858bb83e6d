"""The one implementation of indicator updates and event rules, shared by the live and batch paths.

State of instrument `i` (rows of 2-D arrays, one row per instrument):
- `cring[i, :L]` the last L adjusted closes (L = max(sma_fast, sma_slow)), `vring[i, :W]` volumes;
- `f[i, :NF]` float scalars (running sums, Wilder averages, last indicator values);
- `n[i]` bars seen. Ring positions derive from `n`.

Running sums are exactly recomputed from the ring every window length (amortised O(1)), so
floating-point drift stays bounded over any history length; a window of zero volumes sums to
exactly 0. Both paths call `_step` for every bar, so indicator values and tie decisions are
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
NZV = 13  # count of non-zero volumes in the volume window
NF = 14

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


def new_float_state(rows: int) -> Arr:
    """Float state for `rows` instruments that have seen no bar."""
    f = np.zeros((rows, NF), dtype=np.float64)
    f[:, CLOSE : VOL + 1] = np.nan
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
    """Sum of the `length` ring entries ending at absolute bar index `last`, oldest first."""
    size = ring.shape[1]
    s = 0.0
    for k in range(last - length + 1, last + 1):
        s += ring[i, k % size]
    return s


@jit()
def step(
    cring: Arr, vring: Arr, f: Arr, n: Arr, i: int,
    c: float, v: float, fast: int, slow: int, period: int, win: int,
    ob: float, os_: float, mult: float, flat: float,
) -> int:  # fmt: skip
    """Apply one valid bar (close c > 0, volume v >= 0) to instrument i; return its event bits."""
    k = n[i]
    size = cring.shape[1]
    vsize = vring.shape[1]
    old_fast = cring[i, (k - fast) % size]
    old_slow = cring[i, (k - slow) % size]
    cring[i, k % size] = c
    old_v = vring[i, k % vsize]
    vring[i, k % vsize] = v

    # SMAs: running sums, recomputed exactly once per window length
    if (k + 1) % fast == 0:
        f[i, SUM_F] = _window_sum(cring, i, k, fast)
    else:
        f[i, SUM_F] = f[i, SUM_F] + c - (old_fast if k >= fast else 0.0)
    if (k + 1) % slow == 0:
        f[i, SUM_S] = _window_sum(cring, i, k, slow)
    else:
        f[i, SUM_S] = f[i, SUM_S] + c - (old_slow if k >= slow else 0.0)
    sma_f = f[i, SUM_F] / fast if k + 1 >= fast else np.nan
    sma_s = f[i, SUM_S] / slow if k + 1 >= slow else np.nan

    # volume average (this bar included) and the spike test against the previous average
    nz = f[i, NZV] + (1.0 if v != 0.0 else 0.0) - (1.0 if k >= win and old_v != 0.0 else 0.0)
    f[i, NZV] = nz
    if nz == 0.0:
        f[i, SUM_V] = 0.0
    elif (k + 1) % win == 0:
        f[i, SUM_V] = _window_sum(vring, i, k, win)
    else:
        f[i, SUM_V] = f[i, SUM_V] + v - (old_v if k >= win else 0.0)
    vavg = f[i, SUM_V] / win if k + 1 >= win else np.nan
    vbase = f[i, VAVG]
    spike = np.nan if np.isnan(vbase) else (1.0 if (vbase > 0.0 and v >= mult * vbase) else 0.0)

    # RSI: Wilder smoothing seeded with the simple mean of the first `period` changes (TA-Lib)
    rsi = np.nan
    pc = f[i, CLOSE]
    if k >= 1:
        d = c - pc
        gain = f[i, GAIN]
        loss = f[i, LOSS]
        if k > period:
            loss *= period - 1
            gain *= period - 1
        if d < 0.0:
            loss -= d
        else:
            gain += d
        if k >= period:
            loss /= period
            gain /= period
            tot = gain + loss
            rsi = 100.0 * (gain / tot) if tot != 0.0 else flat
        f[i, GAIN] = gain
        f[i, LOSS] = loss

    bits = rules(pc, c, f[i, FAST], sma_f, f[i, SLOW], sma_s, f[i, RSI], rsi, f[i, SPIKE], spike, ob, os_)
    f[i, CLOSE] = c
    f[i, FAST] = sma_f
    f[i, SLOW] = sma_s
    f[i, RSI] = rsi
    f[i, VAVG] = vavg
    f[i, VBASE] = vbase
    f[i, SPIKE] = spike
    f[i, VOL] = v
    n[i] = k + 1
    return int(bits)


@jit()
def history(
    close: Arr, volume: Arr, fast: int, slow: int, period: int, win: int,
    ob: float, os_: float, mult: float, flat: float, enabled: int,
    o_fast: Arr, o_slow: Arr, o_rsi: Arr, o_vavg: Arr,
    o_vbase: Arr, o_bits: Arr,
) -> None:  # fmt: skip
    """Batch path: every column of Fortran-ordered (n_bars, n_inst) arrays through `step`.

    Rows whose close is NaN are "no bar": outputs NaN, no events, state untouched.
    """
    n_bars, n_inst = close.shape
    size = max(fast, slow)
    cring = np.zeros((1, size))
    vring = np.zeros((1, win))
    f = np.zeros((1, NF))
    n = np.zeros(1, dtype=np.int64)
    for j in range(n_inst):
        cring[:] = 0.0
        vring[:] = 0.0
        f[:] = 0.0
        f[0, CLOSE : VOL + 1] = np.nan
        n[0] = 0
        for t in range(n_bars):
            c = close[t, j]
            if np.isnan(c):
                o_fast[t, j] = np.nan
                o_slow[t, j] = np.nan
                o_rsi[t, j] = np.nan
                o_vavg[t, j] = np.nan
                o_vbase[t, j] = np.nan
                o_bits[t, j] = 0
                continue
            bits = step(cring, vring, f, n, 0, c, volume[t, j], fast, slow, period, win, ob, os_, mult, flat)
            o_fast[t, j] = f[0, FAST]
            o_slow[t, j] = f[0, SLOW]
            o_rsi[t, j] = f[0, RSI]
            o_vavg[t, j] = f[0, VAVG]
            o_vbase[t, j] = f[0, VBASE]
            o_bits[t, j] = bits & enabled


@jit()
def update(
    cring: Arr, vring: Arr, f: Arr, n: Arr, fb: Arr,
    oldc: Arr, oldv: Arr, last_ts: Arr, emitted: Arr,
    slots: Arr, ts: Arr, close: Arr, volume: Arr,
    fast: int, slow: int, period: int, win: int, ob: float, os_: float, mult: float, flat: float,
    enabled: int, emit: bool, o_status: Arr, o_bits: Arr,
) -> None:  # fmt: skip
    """Live path: apply bar k to instrument slots[k], in order.

    A bar with the last seen timestamp replaces the last bar (its effect is undone first); an
    older bar is ignored; an invalid one (close not > 0, volume not >= 0, NaN) is rejected.
    Event bits already emitted for (instrument, type, ts) are cleared (dedup); with emit=False
    fired bits are recorded as emitted but returned as 0 (warm-up).
    """
    size = cring.shape[1]
    vsize = vring.shape[1]
    for k in range(slots.shape[0]):
        i = slots[k]
        t = ts[k]
        c = close[k]
        v = volume[k]
        o_bits[k] = 0
        if not (c > 0.0 and v >= 0.0 and np.isfinite(c) and np.isfinite(v)):
            o_status[k] = ST_INVALID
            continue
        if t < last_ts[i]:
            o_status[k] = ST_OLD
            continue
        if t == last_ts[i] and n[i] > 0:
            # undo the last bar: scalars from the backup, the overwritten ring slots back
            m = n[i] - 1
            cring[i, m % size] = oldc[i]
            vring[i, m % vsize] = oldv[i]
            f[i, :] = fb[i, :]
            n[i] = m
            o_status[k] = ST_CORRECTED
        else:
            o_status[k] = ST_NEW
        m = n[i]
        fb[i, :] = f[i, :]
        oldc[i] = cring[i, m % size]
        oldv[i] = vring[i, m % vsize]
        bits = step(cring, vring, f, n, i, c, v, fast, slow, period, win, ob, os_, mult, flat) & enabled
        last_ts[i] = t
        for b in range(N_TYPES):
            bit = 1 << b
            if bits & bit:
                if emitted[i, b] == t:
                    bits &= ~bit
                else:
                    emitted[i, b] = t
        o_bits[k] = bits if emit else 0
