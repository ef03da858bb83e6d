"""The live path: new bars for many instruments in one call, through the shared `step`.

The state layout is described in `signals._kernel`; this module adds the live bookkeeping
(new bar, correction, old, invalid; dedup of emitted events).
"""

from __future__ import annotations

import numpy as np

from signals._kernel import _U, _rsi, _sma, step, valid_bar
from signals._types import Arr, jit

# status codes
ST_NEW = 0
ST_CORRECTED = 1
ST_OLD = 2
ST_INVALID = 3

TS_NONE = np.iinfo(np.int64).min


@jit(nrt=False)
def update(
    st: Arr, cring: Arr, vring: Arr, last_ts: Arr, seen: Arr,
    slots: Arr, ts: Arr, close: Arr, volume: Arr,
    fast: int, slow: int, period: int, win: int, ob: float, os_: float, mult: float, flat: float,
    enabled: int, emit: bool, n_slots: int, o_status: Arr, o_bits: Arr,
) -> int:  # fmt: skip
    """Live path: apply bar k to instrument slots[k], in order; returns -1.

    If a slot is outside 0..n_slots-1, nothing is applied and its row index is returned.

    st[0, i] is the state after the last bar, st[1, i] the state before it. A new bar copies
    st[0, i] to st[1, i] and advances st[0, i] in place; a bar with the last seen
    timestamp replaces the last bar: it advances again from st[1, i], so nothing is counted
    twice. An instrument's first bar is written to the ring rows of the row applied before it
    (results do not depend on ring positions; instruments fed together then write neighbouring
    memory, also when they start at different bars). An older bar is ignored; an invalid one
    (close not > 0, volume not >= 0, NaN) is rejected. `seen[i]` holds the event bits already
    emitted for the last bar; they are cleared from a correction's bits (dedup). With
    emit=False fired bits are recorded as emitted but returned as 0.

    Compiled without reference counting (nrt=False): allocates nothing.
    """
    n_rows = slots.shape[0]
    for k in range(n_rows):
        if not 0 <= slots[k] < n_slots:
            return k
    prm = (fast, slow, period, win, ob, os_, mult, flat)
    last_pos = last_vpos = np.int64(0)  # ring rows the last applied row wrote
    joined = False  # a row has been applied
    for k in range(_U(n_rows)):
        i = _U(slots[k])
        t = ts[k]
        c = close[k]
        v = volume[k]
        o_bits[k] = 0
        if not valid_bar(c, v):
            o_status[k] = ST_INVALID
            continue
        if t < last_ts[i]:
            o_status[k] = ST_OLD
            continue
        if t == last_ts[i]:
            src = _U(1)
            done = seen[i]
            o_status[k] = ST_CORRECTED
        else:
            src = _U(0)
            done = 0
            if joined and st[0, i].n == 0:  # a first bar joins the ring rows of the row before
                r = st[0, i]
                r.pos = last_pos
                r.vpos = last_vpos
            st[1, i] = st[0, i]
            o_status[k] = ST_NEW
        s = st[src, i]
        last_pos = np.int64(s.pos)
        last_vpos = np.int64(s.vpos)
        joined = True
        (n, pos, vpos, cnt, vcnt, nzv, armed, sum_f, sum_s, sum_v, gain, loss,
         _f, _s, _r, _v, bits) = step(
            cring, vring, i, c, v, s.n, s.pos, s.vpos, s.cnt, s.vcnt, s.nzv, s.armed,
            s.sum_f, s.sum_s, s.sum_v, s.gain, s.loss, s.close, prm, enabled)  # fmt: skip
        d = st[0, i]
        d.sum_f = sum_f
        d.sum_s = sum_s
        d.sum_v = sum_v
        d.gain = gain
        d.loss = loss
        d.close = c
        d.n = n
        d.pos = pos
        d.vpos = vpos
        d.cnt = cnt
        d.vcnt = vcnt
        d.nzv = nzv
        d.armed = armed
        last_ts[i] = t
        seen[i] = done | bits
        o_bits[k] = (bits & ~done) if emit else 0
    return -1


@jit()
def last_values(
    st: Arr, vring: Arr, i: int, fast: int, slow: int, period: int, win: int, flat: float
) -> tuple[float, float, float, float, float, float, float]:
    """(close, sma_fast, sma_slow, rsi, vol_avg, volume, vol_base) after the last bar of row i.

    The same arithmetic as `step`, from the records: `vol_base` is the average of the state
    before the last bar, `volume` the ring slot the last bar wrote.
    """
    s = st[0, i]
    b = st[1, i]
    n = int(s.n)
    if n == 0:
        nan = np.nan
        return (nan, nan, nan, nan, nan, nan, nan)
    last = np.int64(s.vpos) - 1
    vol = vring[last + vring.shape[0] if last < 0 else last, i]
    return (s.close, _sma(s.sum_f, n, fast), _sma(s.sum_s, n, slow),
            _rsi(s.gain, s.loss, n, period, flat), _sma(s.sum_v, n, win), vol,
            _sma(b.sum_v, int(b.n), win))  # fmt: skip
