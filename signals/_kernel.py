"""The one implementation of indicator updates and event rules, shared by the live and batch paths.

State of instrument `i`:
- `cring[:, i]` its last closes and `vring[:, i]` its last volumes, one slot longer than the
  longest window (ring slot first: instruments that receive bars together write neighbouring
  memory). The extra slot means a bar never overwrites a value that the state before it still
  needs, so a correction of the last bar restores nothing;
- `st[0, i]` a 64-byte record (`STATE`, one cache line) of running sums, Wilder averages, the
  last close, counters and ring positions, and the rules' "armed" bits: the conditions of that
  bar that a later bar can turn into an event; `st[1, i]` the record before the last bar, kept
  for a correction of that bar. A new bar copies the record to `st[1, i]` and updates `st[0, i]`
  in place.

Indicator values are not stored: they follow from the record by the same arithmetic (`_sma`,
`_rsi`), so the record fits one cache line and an update touches few. Running sums are exactly
recomputed from the ring every `recompute_every(window)` bars, counted in bars seen (the same bars
in both paths), so floating-point drift stays bounded over any history length; a window of zero
volumes sums to exactly 0. Both paths (batch: `history`; live: `signals._live.update`) call
`step` for every bar, so indicator values and tie decisions are bit-identical between live
updates and backtests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from signals._types import Arr, jit
from signals.config import MAX_WINDOW

STATE = np.dtype(
    [
        ("sum_f", "f8"),  # running sum of the fast window
        ("sum_s", "f8"),  # running sum of the slow window
        ("sum_v", "f8"),  # running sum of the volume window
        ("gain", "f8"),  # Wilder average gain (sum of gains while seeding)
        ("loss", "f8"),  # Wilder average loss (sum of losses while seeding)
        ("close", "f8"),  # last close (NaN before the first bar)
        ("n", "i4"),  # bars seen
        ("pos", "u2"),  # next write index in the close ring
        ("vpos", "u2"),  # next write index in the volume ring
        ("cnt", "u2"),  # bars since the SMA sums were last recomputed exactly
        ("vcnt", "u2"),  # same for the volume sum
        ("nzv", "u2"),  # non-zero volumes in the volume window
        ("armed", "u1"),  # event bits this bar's conditions arm for the next bar
        ("spare", "u1"),
    ],
    align=True,
)
assert STATE.itemsize == 64
# exact recomputation of a running sum: every RECOMPUTE window lengths, and at most every
# RECOMPUTE_BARS bars. A recomputation reads the whole window from the ring, one cache line per
# value; live, instruments of different ages recompute in different rounds, so that cost is paid
# in every round (every 80 bars for a 20-bar window was 4-5 ns of a 30 ns update). The drift it
# bounds is a few ulps per bar: under 1e-12 of the window's largest sum after 8192 bars.
RECOMPUTE = 4
RECOMPUTE_BARS = 8192
assert np.iinfo(np.uint16).max >= max(RECOMPUTE * MAX_WINDOW, RECOMPUTE_BARS)  # uint16 counters

# event bits, in core.types.SignalType declaration order
B_BREAKOUT = 1
B_BREAKDOWN = 2
B_GOLDEN = 4
B_DEATH = 8
B_OVERBOUGHT = 16
B_OVERSOLD = 32
B_SPIKE = 64
N_TYPES = 7

_U = np.uint64  # unsigned indices: no negative-index wraparound code on the hot path


def new_state(rows: int) -> Arr:
    """Records (after, before the last bar) for `rows` instruments that have seen no bar."""
    st = np.zeros((2, rows), STATE)
    st["close"] = np.nan
    return st


@jit(inline="always")
def ring_sizes(fast: int, slow: int, win: int) -> tuple[int, int]:
    """Rows of the close and volume rings: one more than the longest window each."""
    return max(fast, slow) + 1, win + 1


@jit(inline="always")
def recompute_every(window: int) -> int:
    """Bars between exact recomputations of a `window`-bar running sum."""
    return max(RECOMPUTE * window, RECOMPUTE_BARS)


@jit(inline="always")
def _sma(total: float, n: int, window: int, ready: bool = False) -> float:
    return total * (1.0 / window) if ready or n >= window else np.nan


@jit(inline="always")
def _rsi(gain: float, loss: float, n: int, period: int, flat: float, ready: bool = False) -> float:
    """RSI after `n` bars from the Wilder averages (defined from bar period + 1)."""
    if not ready and n <= period:
        return np.nan
    tot = gain + loss
    return 100.0 * (gain / tot) if tot != 0.0 else flat


@jit(inline="always")
def valid_bar(c: float, v: float) -> bool:
    """A bar both paths accept: close finite and > 0, volume finite and >= 0 (NaN fails every
    comparison). Bitwise `&`, not `and`: one branch for the caller, not four."""
    return bool((c > 0.0) & (v >= 0.0) & (c < np.inf) & (v < np.inf))


@jit(inline="always")
def _window_sum(ring: Arr, i: int, last: int, length: int) -> float:
    """Sum of the `length` ring entries ending at ring index `last`, oldest first."""
    size = ring.shape[0]
    k = last - length + 1
    if k < 0:
        k += size
    s = 0.0
    for _ in range(length):
        s += ring[_U(k), i]
        k += 1
        if k == size:
            k = 0
    return s


@jit(inline="always")
def step(
    cring: Arr, vring: Arr, i: Any, c: float, v: float,
    k: int, pos: int, vpos: int, cnt: int, vcnt: int, nzv: int, armed: int,
    sum_f: float, sum_s: float, sum_v: float, gain: float, loss: float, pc: float,
    prm: tuple[int, int, int, int, float, float, float, float], enabled: int,
) -> tuple[Any, ...]:  # fmt: skip
    """THE indicator and rule implementation: one valid bar (c, v) for instrument i.

    Takes the state after k bars (record fields, `pc` the last close), writes the bar into the
    rings and returns (n, pos, vpos, cnt, vcnt, nzv, armed, sum_f, sum_s, sum_v, gain, loss,
    sma_fast, sma_slow, rsi, vol_avg, event bits). `prm` is (sma_fast, sma_slow, rsi_period,
    volume_window, overbought, oversold, multiple, flat). No integer division on the hot path:
    ring positions and recompute counters are carried.

    The body (`_advance`) is compiled twice: for an instrument past warm-up (k at least every
    window and the RSI period + 1) every warm-up test is known to hold and is folded away; the
    other copy tests them. The arithmetic is the same, so results are bit-identical. Live,
    instruments past warm-up (all but new listings) take 18 instead of 21 ns an update; a batch
    mixing instruments in and past warm-up pays a mispredicted branch on some of them.
    """
    fast, slow, period, win = prm[0], prm[1], prm[2], prm[3]
    if k >= max(fast, slow, win, period + 1):
        return _advance(cring, vring, i, c, v, k, pos, vpos, cnt, vcnt, nzv, armed,
                        sum_f, sum_s, sum_v, gain, loss, pc, prm, enabled, True)  # fmt: skip
    return _advance(cring, vring, i, c, v, k, pos, vpos, cnt, vcnt, nzv, armed,
                    sum_f, sum_s, sum_v, gain, loss, pc, prm, enabled, False)  # fmt: skip


@jit(inline="always")
def _advance(
    cring: Arr, vring: Arr, i: Any, c: float, v: float,
    k: int, pos: int, vpos: int, cnt: int, vcnt: int, nzv: int, armed: int,
    sum_f: float, sum_s: float, sum_v: float, gain: float, loss: float, pc: float,
    prm: tuple[int, int, int, int, float, float, float, float], enabled: int, steady: bool,
) -> tuple[Any, ...]:  # fmt: skip
    """`step`'s body. `steady` is a constant at each call site: True states that k is at least
    every window and the RSI period + 1, so that the compiler drops the warm-up tests."""
    fast, slow, period, win, ob, os_, mult, flat = prm
    size = cring.shape[0]
    vsize = vring.shape[0]
    j = pos - fast
    old_fast = cring[_U(j + size if j < 0 else j), i]
    j = pos - slow
    old_slow = cring[_U(j + size if j < 0 else j), i]
    cring[_U(pos), i] = c
    j = vpos - win
    old_v = vring[_U(j + vsize if j < 0 else j), i]
    vring[_U(vpos), i] = v

    # SMAs: running sums, recomputed exactly now and then (bounded drift)
    cnt += 1
    if cnt == recompute_every(size - 1):
        cnt = 0
        sum_f = _window_sum(cring, i, pos, fast)
        sum_s = _window_sum(cring, i, pos, slow)
    else:
        sum_f = sum_f + c - (old_fast if steady or k >= fast else 0.0)
        sum_s = sum_s + c - (old_slow if steady or k >= slow else 0.0)
    pos = 0 if pos == size - 1 else pos + 1
    n = k + 1
    sma_f = _sma(sum_f, n, fast, steady)
    sma_s = _sma(sum_s, n, slow, steady)

    # volume average (this bar included); the spike test uses the previous bar's average
    pvavg = _sma(sum_v, k, win, steady)
    nzv += (1 if v != 0.0 else 0) - (1 if (steady or k >= win) & (old_v != 0.0) else 0)
    vcnt += 1
    if vcnt == recompute_every(win):
        vcnt = 0
        sum_v = _window_sum(vring, i, vpos, win) if nzv else 0.0
    else:
        sum_v = sum_v + v - (old_v if steady or k >= win else 0.0) if nzv else 0.0
    vpos = 0 if vpos == vsize - 1 else vpos + 1
    vavg = _sma(sum_v, n, win, steady)

    # RSI: Wilder smoothing seeded with the simple mean of the first `period` changes (TA-Lib)
    if steady or k >= 1:
        d = c - pc
        if steady or k > period:
            loss *= period - 1
            gain *= period - 1
        loss -= d if d < 0.0 else 0.0  # branch-free: price changes are a coin toss
        gain += d if d > 0.0 else 0.0
        if steady or k >= period:
            loss *= 1.0 / period
            gain *= 1.0 / period
    rsi = _rsi(gain, loss, n, period, flat, steady)

    # rules: an event fires where this bar's condition holds and the previous bar armed it. A
    # comparison with an undefined (NaN) value is false, so `level` has only defined conditions;
    # a rule is armed where its input is defined and its condition does not hold. Written with
    # bitwise operators, not `and`/`not`, so that they compile without branches (2-3 of ~23 ns).
    s_def = sma_s == sma_s
    level = (
        (c > sma_s) * B_BREAKOUT | (c < sma_s) * B_BREAKDOWN
        | (sma_f > sma_s) * B_GOLDEN | (sma_f < sma_s) * B_DEATH
        | (rsi > ob) * B_OVERBOUGHT | (rsi < os_) * B_OVERSOLD
        | ((pvavg > 0.0) & (v >= mult * pvavg)) * B_SPIKE
    )  # fmt: skip
    defined = (
        s_def * (B_BREAKOUT | B_BREAKDOWN) | (s_def & (sma_f == sma_f)) * (B_GOLDEN | B_DEATH)
        | (rsi == rsi) * (B_OVERBOUGHT | B_OVERSOLD) | (pvavg == pvavg) * B_SPIKE
    )  # fmt: skip
    arm = defined & ~level
    bits = level & armed & enabled
    return (n, pos, vpos, cnt, vcnt, nzv, arm, sum_f, sum_s, sum_v, gain, loss,
            sma_f, sma_s, rsi, vavg, bits)  # fmt: skip


@jit(nogil=True, nrt=False)
def history(
    close: Arr, volume: Arr, cring: Arr, vring: Arr, fast: int, slow: int, period: int, win: int,
    ob: float, os_: float, mult: float, flat: float, enabled: int,
    o_fast: Arr, o_slow: Arr, o_rsi: Arr, o_vavg: Arr, o_bits: Arr,
) -> int:  # fmt: skip
    """Batch path over (n_bars, n_inst) arrays: `step` over each whole column, state in registers.

    Fortran-ordered (column-contiguous) arrays are about twice as fast as C-ordered ones here.
    Releases the GIL: disjoint column blocks run on several threads at once. A NaN close is "no
    bar" (NaN outputs, state untouched). Returns -1, or the flat (row-major) index of the first
    invalid cell (close not finite and > 0, volume not finite and >= 0; outputs incomplete).
    `cring` / `vring` are scratch rings of `ring_sizes` rows and one column, reused column after
    column (a column reads only ring rows it wrote). Compiled without reference counting: numba
    counts references to the rings at every access otherwise, a call with an atomic operation
    that cost more than the indicator arithmetic.
    """
    n_bars, n_inst = close.shape
    prm = (fast, slow, period, win, ob, os_, mult, flat)
    nan = np.nan
    for col in range(n_inst):
        k = pos = vpos = cnt = vcnt = nzv = armed = 0
        sum_f = sum_s = sum_v = gain = loss = 0.0
        pc = nan
        for t in range(n_bars):
            c = close[t, col]
            v = volume[t, col]
            if np.isnan(c):
                o_fast[t, col] = nan
                o_slow[t, col] = nan
                o_rsi[t, col] = nan
                o_vavg[t, col] = nan
                o_bits[t, col] = 0
                continue
            if not valid_bar(c, v):
                return t * n_inst + col
            (k, pos, vpos, cnt, vcnt, nzv, armed, sum_f, sum_s, sum_v, gain, loss,
             sma_f, sma_s, rsi, vavg, bits) = step(
                cring, vring, 0, c, v, k, pos, vpos, cnt, vcnt, nzv, armed,
                sum_f, sum_s, sum_v, gain, loss, pc, prm, enabled)  # fmt: skip
            pc = c
            o_fast[t, col] = sma_f
            o_slow[t, col] = sma_s
            o_rsi[t, col] = rsi
            o_vavg[t, col] = vavg
            o_bits[t, col] = bits
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
