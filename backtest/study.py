"""Event study: forward returns after each signal, vectorised across instruments.

Conventions (also in the README):

- An event fires on the CLOSE of bar t (the signal engine sees bars up to t only). Its forward
  return at horizon h is ``close[t+h] / entry[t] - 1`` on adjusted prices, h counted in the
  instrument's own trading bars; ``entry[t]`` is ``open[t+1]`` (basis 'next_open', the default:
  what a person acting on the alert can get) or ``close[t]`` (basis 'close'). If bar t+h does
  not exist yet the event is *excluded* (counted
  in ``excluded``, not in ``count``).
- Returns are *direction-adjusted*: multiplied by the event's direction d (+1 bullish, -1 bearish),
  so a positive figure always means "the signal was right". A hit is an adjusted return > 0.
  `volume_spike` has no direction of its own: each spike takes the direction of its own bar's
  move (close[t] >= close[t-1] -> +1, else -1), i.e. "a spike confirms the day's move".
- Baseline: mu_h, the mean raw forward return of ALL bars of the study period with a full window
  at horizon h; for a signal it is direction-adjusted like the events: ``mu_h * mean(d_i)``.
  Excess = mean adjusted return - baseline.
- t-statistic of the excess: ``(mean(s) - baseline) / (std(s, ddof=1) / sqrt(n))``, the one-sample
  t of the event returns against the baseline taken as known; None when n < 2 or std == 0.
  Overlapping windows of clustered events make it optimistic: read it as a screen, not a p-value.
- Risk: the max drawdown of an event is the worst fall of the position's value, marked to the
  closes of bars t+1..t+h, from its running peak (entry value included); `dd_median` and
  `dd_worst` are its median and minimum over the events, `sd` the standard deviation of the
  adjusted returns, `return_risk` = mean / |dd_median|.
- MAE (maximum adverse excursion) of an event: the worst move against the position within the
  window, from the lows (long) or highs (short) of bars t+1..t+h relative to entry[t], capped at
  0; `worst_mae` is the most negative over the events (a fraction, <= 0).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backtest import _kernel
from core.types import SignalType

Arr = NDArray[Any]

_COLS = 64  # columns per kernel call: 64 x 2,520 bars x 3 price arrays ~ 4 MB, kept in cache across signals


@dataclass(frozen=True, eq=False)
class StudyStats:
    """Sufficient statistics per (signal, horizon, instrument): arrays of shape (S, H, N).

    `mean`, `median`, `baseline` and `worst_mae` are NaN where count == 0; `m2` is the sum of
    squared deviations from the mean (Welford's M2), which lets results be pooled exactly.
    """

    signals: tuple[SignalType, ...]
    horizons: tuple[int, ...]
    count: Arr
    excluded: Arr
    hits: Arr
    mean: Arr
    m2: Arr
    median: Arr
    baseline: Arr
    worst_mae: Arr
    dd_median: Arr  # median over the events of the max drawdown within the holding period (<= 0)
    dd_worst: Arr  # the worst of those drawdowns (<= 0)

    @property
    def sd(self) -> Arr:
        """Sample standard deviation (ddof 1) of the events' adjusted returns; NaN when n < 2."""
        n = self.count.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count >= 2, np.sqrt(self.m2 / (n - 1.0)), np.nan)

    @property
    def return_risk(self) -> Arr:
        """Return-to-risk: mean adjusted return / |median max drawdown|; NaN when that drawdown is 0."""
        return return_to_risk(self.mean, self.dd_median)

    @property
    def hit_rate(self) -> Arr:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.hits / self.count, np.nan)

    @property
    def excess(self) -> Arr:
        return self.mean - self.baseline

    @property
    def t_stat(self) -> Arr:
        return t_statistic(self.count, self.mean, self.m2, self.baseline)

    @staticmethod
    def concat(parts: Sequence[StudyStats]) -> StudyStats:
        """Join studies of disjoint instrument sets (same signals and horizons) along the instruments."""
        first = parts[0]
        arrays = {name: np.concatenate([getattr(p, name) for p in parts], axis=2) for name in _FIELDS}
        return StudyStats(first.signals, first.horizons, **arrays)


_FIELDS = ("count", "excluded", "hits", "mean", "m2", "median", "baseline", "worst_mae", "dd_median",
           "dd_worst")  # fmt: skip


def return_to_risk(mean: Arr, dd_median: Arr) -> Arr:
    """mean / |dd_median| elementwise; NaN where the median drawdown is 0 or undefined."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dd_median < 0, mean / np.abs(dd_median), np.nan)


def t_statistic(count: Arr, mean: Arr, m2: Arr, baseline: Arr) -> Arr:
    """(mean - baseline) / (sd / sqrt(n)) with sd = sqrt(m2 / (n - 1)); NaN when n < 2 or sd == 0."""
    n = count.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(m2 / (n - 1.0))
        t = (mean - baseline) / (sd / np.sqrt(n))
    return np.where((count >= 2) & (sd > 0), t, np.nan)


def event_study(
    close: Arr,
    high: Arr,
    low: Arr,
    events: Mapping[SignalType, Arr],
    first: Arr,
    horizons: Sequence[int],
    *,
    signals: Sequence[SignalType] | None = None,
    threads: int | None = None,
    entry: Arr | None = None,
    risk: bool = True,
) -> StudyStats:
    """Statistics of every signal in `signals` (default: all keys of `events`) per instrument column.

    Arrays are (n_bars, n_inst), NaN-padded in front; `events[s]` are boolean masks of the same
    shape; `first[j]` is the first row of column j's study period (events and baseline bars before
    it are ignored). Horizons come out sorted and deduplicated. Column blocks run on `threads`
    threads (default: one per core; the numba kernels release the GIL). Fortran-ordered inputs
    avoid a copy. `entry` (default: `close`) is the price each forward return starts from.
    `risk=False` leaves out the holding-period drawdowns (NaN), for pooled searches that do not use them.
    """
    hz = np.array(sorted({int(h) for h in horizons}), dtype=np.int64)
    if hz.size == 0 or hz.min() < 1:
        raise ValueError(f"horizons must be positive integers, got {horizons!r}")
    sigs = tuple(events) if signals is None else tuple(signals)
    c, h_, lo = (np.asfortranarray(a, dtype=np.float64) for a in (close, high, low))
    en = c if entry is None else np.asfortranarray(entry, dtype=np.float64)
    masks = [np.asfortranarray(events[s], dtype=np.bool_) for s in sigs]
    fst = np.ascontiguousarray(first, dtype=np.int64)
    n_inst = c.shape[1]
    k = max(1, min(threads or os.cpu_count() or 1, n_inst // 64 or 1))
    bounds = np.linspace(0, n_inst, k + 1).astype(int)

    def block(j0: int, j1: int) -> StudyStats:
        cols = slice(j0, j1)
        return _block(c[:, cols], en[:, cols], h_[:, cols], lo[:, cols], [m[:, cols] for m in masks],
                      fst[cols], hz, sigs, risk)  # fmt: skip

    if k == 1:
        return block(0, n_inst)
    with ThreadPoolExecutor(k) as pool:
        parts = list(pool.map(block, bounds[:-1], bounds[1:]))
    return StudyStats.concat(parts)


def _block(
    c: Arr,
    en: Arr,
    h_: Arr,
    lo: Arr,
    masks: list[Arr],
    fst: Arr,
    hz: Arr,
    sigs: tuple[SignalType, ...],
    risk: bool = True,
) -> StudyStats:
    """All signals on columns of a block, `_COLS` columns at a time.

    Every signal reads the same prices: chunked, a chunk's columns stay in the CPU cache from one
    signal to the next (signal by signal over the whole block re-read them from memory each time).
    """
    n_inst = c.shape[1]
    n_h = hz.size
    shape = (len(sigs), n_h, n_inst)
    ints = [np.zeros(shape, dtype=np.int64) for _ in range(3)]
    floats = [np.full(shape, np.nan) for _ in range(7)]
    for j0 in range(0, n_inst, _COLS):
        j1 = min(n_inst, j0 + _COLS)
        w = j1 - j0
        cc, ee, hh, ll = c[:, j0:j1], en[:, j0:j1], h_[:, j0:j1], lo[:, j0:j1]
        ff = fst[j0:j1]
        mu = np.empty((n_h, w))
        _kernel.baseline(cc, ee, ff, hz, mu)
        for si, sig in enumerate(sigs):
            part_i = [np.zeros((n_h, w), dtype=np.int64) for _ in range(3)]
            part_f = [np.full((n_h, w), np.nan) for _ in range(7)]
            ci, ei, hi = part_i
            mf, m2f, medf, bf, wf, ddm, ddw = part_f
            _kernel.study(cc, ee, hh, ll, masks[si][:, j0:j1], ff, hz, sig.direction, mu,
                          ci, ei, hi, mf, m2f, medf, bf, wf, ddm, ddw, risk)  # fmt: skip
            for full, part in zip(ints + floats, part_i + part_f, strict=True):
                full[si, :, j0:j1] = part
    count, excluded, hits = ints
    mean, m2, median, baseline, worst, dd_median, dd_worst = floats
    return StudyStats(sigs, tuple(int(x) for x in hz), count, excluded, hits, mean, m2, median, baseline,
                      worst, dd_median, dd_worst)  # fmt: skip
