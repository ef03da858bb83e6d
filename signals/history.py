"""Batch path: indicators and events over whole histories, vectorised across instruments."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from itertools import pairwise

import numpy as np

from core.types import Interval, SignalEvent, SignalType
from signals import _extra_batch, _kernel, _memory
from signals._events import (
    BIT,
    EXTRA_FIRST,
    PATTERNS,
    TYPES,
    as_datetimes,
    enabled_bits,
    extra_enabled_bits,
    make_events,
    make_extra_events,
    pattern_values,
)
from signals._types import Arr, plain
from signals.config import SignalConfig

_DEFAULT = SignalConfig()
_CHUNK_CELLS = 1 << 18  # cells per column chunk (2 MiB per float buffer)
_MIN_THREAD_CELLS = 1 << 18  # cells per thread below which a second thread does not pay


@dataclass(frozen=True, eq=False)
class HistoryResult:
    """Indicators and events of `compute_history`, each an array of the input's shape.

    Indicators are NaN during warm-up and on rows without a bar. `vol_avg` is the mean volume of
    the last `volume_window` bars including this one (TA-Lib SMA of volume); `vol_base` is the
    previous bar's `vol_avg`, the baseline of this bar's volume-spike test. `bb_*` are TA-Lib's
    BBANDS (middle, upper, lower) and the bandwidth (upper - lower) / middle; `high_52w` /
    `low_52w` the highest / lowest close of the `high_low_window` bars BEFORE this one (a close
    above it is a new 52-week high). `xbits` are the event bits of those rules and the chart
    patterns (bit b <-> SignalType number 7 + b); `patterns` one row per pattern event with its
    geometry (`signals._extra.EV_COLS`; swing-point stamps are row numbers).
    """

    close: Arr
    volume: Arr
    sma_fast: Arr
    sma_slow: Arr
    rsi: Arr
    vol_avg: Arr
    bits: Arr  # uint8 event bits per bar (bit b <-> SignalType order)
    bb_mid: Arr
    bb_upper: Arr
    bb_lower: Arr
    bb_width: Arr
    high_52w: Arr
    low_52w: Arr
    xbits: Arr  # uint16 event bits of the Bollinger, 52-week and pattern rules
    patterns: Arr
    config: SignalConfig = field(default=_DEFAULT)

    @cached_property
    def vol_base(self) -> Arr:
        """The previous bar's `vol_avg` (this bar's volume-spike baseline), NaN where undefined."""
        return _kernel.previous_valid(_as_2d(self.vol_avg), _as_2d(self.close)).reshape(self.close.shape)

    @cached_property
    def events(self) -> dict[SignalType, Arr]:
        """Boolean masks, True at the bar where an event fires (all False for disabled types)."""
        out: dict[SignalType, Arr] = {}
        tmp = _memory.empty(self.bits.shape, np.uint8)
        for s in TYPES[:EXTRA_FIRST]:
            mask = _memory.empty(self.bits.shape, np.bool_)
            np.bitwise_and(self.bits, np.uint8(BIT[s]), out=tmp)
            np.not_equal(tmp, 0, out=mask)
            out[s] = mask
        tmp16 = _memory.empty(self.xbits.shape, np.uint16)
        for b, s in enumerate(TYPES[EXTRA_FIRST:]):
            mask = _memory.empty(self.xbits.shape, np.bool_)
            np.bitwise_and(self.xbits, np.uint16(1 << b), out=tmp16)
            np.not_equal(tmp16, 0, out=mask)
            out[s] = mask
        return out

    @cached_property
    def strength(self) -> dict[SignalType, Arr]:
        """Each type's figure on every bar where defined (the event's strength where it fires)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = (self.close / self.sma_slow - 1.0) * 100.0
            spread = (self.sma_fast / self.sma_slow - 1.0) * 100.0
            multiple = self.volume / self.vol_base
        return {
            SignalType.BREAKOUT_200: dist,
            SignalType.BREAKDOWN_200: dist,
            SignalType.GOLDEN_CROSS: spread,
            SignalType.DEATH_CROSS: spread,
            SignalType.RSI_OVERBOUGHT: self.rsi,
            SignalType.RSI_OVERSOLD: self.rsi,
            SignalType.VOLUME_SPIKE: multiple,
            **self._extra_strength(),
        }

    def _extra_strength(self) -> dict[SignalType, Arr]:
        c, up, lo = self.close, self.bb_upper, self.bb_lower
        with np.errstate(divide="ignore", invalid="ignore"):
            out: dict[SignalType, Arr] = {
                SignalType.BB_UPPER_BREAK: (c / up - 1.0) * 100.0,
                SignalType.BB_LOWER_BREAK: (c / lo - 1.0) * 100.0,
                SignalType.BB_SQUEEZE_BREAKOUT: np.where(c > up, c / up - 1.0, c / lo - 1.0) * 100.0,
                SignalType.HIGH_52W: (c / self.high_52w - 1.0) * 100.0,
                SignalType.LOW_52W: (c / self.low_52w - 1.0) * 100.0,
            }
            target = np.full(c.shape, np.nan)
            flat = target.reshape(-1, 1) if target.ndim == 1 else target
            ev = self.patterns
            flat[ev[:, 0].astype(np.intp), ev[:, 1].astype(np.intp)] = ev[:, 15]
            for s in PATTERNS:
                out[s] = (target / c - 1.0) * 100.0
        return out

    def to_events(
        self,
        symbols: Sequence[str],
        ts: Sequence[datetime] | Arr,
        close: Arr | None = None,
        interval: Interval = Interval.D1,
    ) -> list[SignalEvent]:
        """The events as SignalEvent objects, ordered by bar, then instrument column, then type.

        `symbols` names the columns (one symbol for 1-D input); `ts` gives each row's timestamp.
        `close` overrides the close reported in events (default: the adjusted close computed on).
        """
        bits2 = _as_2d(self.bits)
        n_bars, n_inst = bits2.shape
        if isinstance(symbols, str):
            symbols = [symbols]
        if len(symbols) != n_inst:
            raise ValueError(f"got {len(symbols)} symbols for {n_inst} instrument columns")
        stamps = as_datetimes(ts, n_bars)
        shown = self.close if close is None else np.asarray(close, dtype=np.float64)
        if shown.shape != self.close.shape:
            raise ValueError(f"close has shape {shown.shape}, expected {self.close.shape}")
        cols = [_as_2d(a) for a in (shown, self.sma_fast, self.sma_slow, self.rsi,
                                                    self.vol_avg, self.volume, self.vol_base)]  # fmt: skip
        out: list[SignalEvent] = []
        rows, inst = np.nonzero(bits2)
        for t, j in zip(rows.tolist(), inst.tolist(), strict=True):
            c, fa, sl, r, va, v, vb = (float(a[t, j]) for a in cols)
            out.extend(
                make_events(symbols[j], interval, stamps[t], int(bits2[t, j]), c, fa, sl, r, va, v, vb)
            )
        out.extend(self._extra_events(symbols, stamps, shown, interval))
        order = {s: k for k, s in enumerate(TYPES)}
        pos = {s: k for k, s in enumerate(symbols)}
        out.sort(key=lambda e: (e.ts, pos[e.symbol], order[e.signal]))
        return out

    def _extra_events(self, symbols: Sequence[str], stamps: list[datetime], shown: Arr,
                      interval: Interval) -> list[SignalEvent]:  # fmt: skip
        xb = _as_2d(self.xbits)
        shown2 = _as_2d(shown)
        cols = [_as_2d(a) for a in (self.bb_mid, self.bb_upper, self.bb_lower, self.bb_width,
                                    self.high_52w, self.low_52w)]  # fmt: skip
        geo = {(int(r[0]), int(r[1])): r for r in self.patterns}
        out: list[SignalEvent] = []
        rows, inst = np.nonzero(xb)
        for t, j in zip(rows.tolist(), inst.tolist(), strict=True):
            r = geo.get((t, j))
            g = None
            if r is not None:
                g = pattern_values(int(r[2]), [stamps[int(x)] for x in r[3:8]], r[8:13].tolist(),
                                   float(r[13]), float(r[14]), float(r[15]))  # fmt: skip
            mid, up, lo, bw, hi, lw = (float(a[t, j]) for a in cols)
            out.extend(
                make_extra_events(
                    symbols[j],
                    interval,
                    stamps[t],
                    int(xb[t, j]),
                    float(shown2[t, j]),
                    (mid, up, lo, bw, hi, lw),
                    g,
                )
            )  # type: ignore[arg-type]
        return out


def _as_2d(a: Arr) -> Arr:
    return a.reshape(a.shape[0], 1) if a.ndim == 1 else a


def _check_shapes(close: Arr, volume: Arr) -> None:
    if close.shape != volume.shape:
        raise ValueError(f"close has shape {close.shape} but volume has {volume.shape}")
    if close.ndim not in (1, 2):
        raise ValueError(f"expected 1-D (n_bars,) or 2-D (n_bars, n_instruments) arrays, got {close.ndim}-D")


def _run_chunk(cc: Arr, vv: Arr, cfg: SignalConfig, enabled: int, outs: tuple[Arr, ...]) -> int:
    """The kernel on one column chunk; -1 or the row-major index of the first bad cell.

    A single column (n, 1) is C- as well as F-contiguous, so numba would compile a second
    specialisation for it: it is padded with a no-bar (NaN) column instead.
    """
    n, w = cc.shape
    if w == 1:
        cc = np.asfortranarray(np.concatenate([cc, np.full((n, 1), np.nan)], axis=1))
        vv = np.asfortranarray(np.concatenate([vv, np.zeros((n, 1))], axis=1))
        tmp = tuple(np.empty((n, 2), dtype=o.dtype, order="F") for o in outs)
        bad = _run_chunk(cc, vv, cfg, enabled, tmp)
        for o, t in zip(outs, tmp, strict=True):
            o[:, 0] = t[:, 0]
        return -1 if bad < 0 else bad // 2
    size, vsize = plain(_kernel.ring_sizes)(cfg.sma_fast, cfg.sma_slow, cfg.volume_window)
    bad = _kernel.history(
        cc, vv, np.zeros((size, 1)), np.zeros((vsize, 1)), cfg.sma_fast, cfg.sma_slow, cfg.rsi_period,
        cfg.volume_window,
        cfg.rsi_overbought, cfg.rsi_oversold, cfg.volume_multiple, cfg.rsi_flat, enabled, *outs,
    )  # fmt: skip
    return int(bad)


def _threads_for(n_bars: int, n_inst: int, threads: int | None) -> int:
    """`threads` (at most one per column); default: one per core, each with >= 64 columns, 2**18 cells."""
    if threads is not None:
        return max(1, min(threads, n_inst))
    return max(1, min(os.cpu_count() or 1, n_inst // 64, (n_bars * n_inst) // _MIN_THREAD_CELLS))


def compute_history(
    close: Arr, volume: Arr, config: SignalConfig = _DEFAULT, *, threads: int | None = None
) -> HistoryResult:
    """Indicators and events over whole histories.

    `close` (ADJUSTED closes) and `volume` are float arrays of shape (n_bars,) or
    (n_bars, n_instruments), rows in time order. A NaN close means "no bar" for that instrument on
    that row (front padding for shorter histories, or a day the market was closed): the row gets
    NaN indicators and no events, and the instrument's state carries over. Where close is not NaN,
    close must be > 0 and volume finite and >= 0 (ValueError otherwise, naming the first bad cell).
    Column blocks run on `threads` threads (default: one per core; small inputs use one).
    """
    c = np.asarray(close, dtype=np.float64)
    v = np.asarray(volume, dtype=np.float64)
    _check_shapes(c, v)
    shape = c.shape
    c2, v2 = _as_2d(c), _as_2d(v)
    n_bars, n_inst = c2.shape
    fast, slow, rsi, vavg = (_memory.empty(c2.shape) for _ in range(4))
    bits = _memory.empty(c2.shape, np.uint8)
    outs = (fast, slow, rsi, vavg, bits)
    cfg = config
    enabled = enabled_bits(cfg.enabled)
    k = _threads_for(n_bars, n_inst, threads)
    bounds = np.linspace(0, n_inst, k + 1).astype(int).tolist()
    spans = list(pairwise(bounds))
    if k == 1:
        found = [_run_columns(c2, v2, 0, n_inst, cfg, enabled, outs)]
    else:
        with ThreadPoolExecutor(k) as pool:  # the kernel releases the GIL
            found = list(pool.map(lambda s: _run_columns(c2, v2, s[0], s[1], cfg, enabled, outs), spans))
    bad = next((b for b in found if b is not None), None)
    if bad is not None:
        row, col = bad
        bad_c, bad_v = float(c2[row, col]), float(v2[row, col])
        raise ValueError(
            "close must be finite and > 0 and volume finite and >= 0 wherever close is not NaN; "
            f"first bad bar at row {row}, column {col}: close={bad_c!r}, volume={bad_v!r}"
        )
    fast, slow, rsi, vavg = (o.reshape(shape) for o in (fast, slow, rsi, vavg))
    x = _extra_batch.run(c2, cfg, extra_enabled_bits(cfg.enabled), k)
    xs = (x.bb_mid, x.bb_upper, x.bb_lower, x.bb_width, x.high_52w, x.low_52w, x.bits)
    mid, up, lo, bw, hi, lw, xbits = (o.reshape(shape) for o in xs)
    return HistoryResult(
        close=c, volume=v, sma_fast=fast, sma_slow=slow, rsi=rsi, vol_avg=vavg,
        bits=bits.reshape(shape), bb_mid=mid, bb_upper=up, bb_lower=lo, bb_width=bw, high_52w=hi,
        low_52w=lw, xbits=xbits, patterns=x.patterns, config=cfg,
    )  # fmt: skip


def _run_columns(
    c2: Arr, v2: Arr, a: int, b: int, cfg: SignalConfig, enabled: int, outs: tuple[Arr, ...]
) -> tuple[int, int] | None:
    """The kernel on columns a..b-1, chunk by chunk; (row, column) of the first bad cell or None.

    The kernel wants each instrument's history contiguous: C-ordered input is copied column
    chunk by column chunk into small reused buffers (no full-size temporary copies).
    """
    n_bars = c2.shape[0]
    width = max(1, min(b - a, _CHUNK_CELLS // max(1, n_bars)))
    fortran = c2.flags.f_contiguous and v2.flags.f_contiguous
    buf_c: Arr = np.empty((0, 0))
    buf_v: Arr = buf_c
    if not fortran:
        buf_c = np.empty((n_bars, width), order="F")
        buf_v = np.empty((n_bars, width), order="F")
    for j0 in range(a, b, width):
        j1 = min(b, j0 + width)
        if fortran:
            cc, vv = c2[:, j0:j1], v2[:, j0:j1]
        else:
            cc, vv = buf_c[:, : j1 - j0], buf_v[:, : j1 - j0]
            cc[...] = c2[:, j0:j1]
            vv[...] = v2[:, j0:j1]
        bad = _run_chunk(cc, vv, cfg, enabled, tuple(o[:, j0:j1] for o in outs))
        if bad >= 0:
            row, col = divmod(bad, j1 - j0)
            return row, col + j0
    return None
