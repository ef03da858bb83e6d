"""Combinations of two signal types, discovered in sample and confirmed out of sample.

Walk-forward: each instrument's study period is split at 70% of its bars. Every pair of the selected
signal types (`signals.combos.all_pairs`; pairs pointing in opposite directions are not tried) is
rated at every horizon on the first part (*discovery*: events whose window ends before the split)
and on the rest (*confirmation*: events on or after the split). Statistics are pooled over the
instruments: each event's direction-adjusted forward return minus the mean forward return of all
bars of its instrument and part, direction-adjusted (the baseline of `backtest.study`); a one-sided
t-test of the mean of those excesses gives a p-value.

- Discovery: Benjamini-Hochberg at `fdr` (default 0.05) across ALL (pair, horizon) tried; pairs
  with fewer than `min_count` events count as tried with p = 1.
- Confirmation: the discovered ones only, Benjamini-Hochberg at `fdr` across them, with at least
  `min_count` out-of-sample events and a positive out-of-sample excess.

Only a combination that passes both is *confirmed*. Overlapping windows make the t-test optimistic
(as for single signals); the out-of-sample step is what guards against that and against the search.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backtest.data import Panel
from backtest.result import Options
from backtest.runner import first_rows
from backtest.tradable import entry_prices, mask_gaps
from core.types import SignalType
from signals import compute_history
from signals.combos import Combo, all_pairs, combo_mask, recent

Arr = NDArray[Any]

DISCOVERY_SHARE = 0.7
DEFAULT_FDR = 0.05


@dataclass(frozen=True, slots=True)
class Sample:
    """Pooled statistics of one combination at one horizon on one part of the history."""

    count: int
    mean_return: float | None
    excess: float | None
    t_stat: float | None
    p_value: float  # one-sided (excess > 0); 1.0 when untestable


@dataclass(frozen=True, slots=True)
class ComboRow:
    combo: Combo
    horizon: int
    discovery: Sample
    confirmation: Sample
    discovered: bool
    confirmed: bool

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"combo": self.combo.name, "horizon": self.horizon}
        for part, s in (("in_sample", self.discovery), ("out_of_sample", self.confirmation)):
            for k in ("count", "mean_return", "excess", "t_stat", "p_value"):
                d[f"{part}_{k}"] = getattr(s, k)
        d["discovered"] = self.discovered
        d["confirmed"] = self.confirmed
        return d


@dataclass(frozen=True, slots=True)
class ComboResult:
    rows: tuple[ComboRow, ...]  # every (pair, horizon) tried, discovered ones first, then by p
    window: int
    fdr: float
    tried: int

    @property
    def discovered(self) -> tuple[ComboRow, ...]:
        return tuple(r for r in self.rows if r.discovered)

    @property
    def confirmed(self) -> tuple[ComboRow, ...]:
        return tuple(r for r in self.rows if r.confirmed)


def benjamini_hochberg(p: Sequence[float], q: float) -> list[bool]:
    """Which hypotheses the Benjamini-Hochberg step-up procedure rejects at false-discovery rate q."""
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    ranked = np.asarray(p, dtype=np.float64)[order]
    ok = ranked <= q * np.arange(1, m + 1) / m
    k = int(np.flatnonzero(ok)[-1]) + 1 if ok.any() else 0
    out = np.zeros(m, dtype=bool)
    out[order[:k]] = True
    return out.tolist()  # type: ignore[no-any-return]


def t_sf(t: float, df: int) -> float:
    """P(T > t) for Student's t with df degrees of freedom (df >= 1), from the regularised incomplete
    beta function by its continued fraction (Numerical Recipes 6.4); checked against SciPy in tests."""
    x = df / (df + t * t)
    tail = 0.5 * _betai(df / 2.0, 0.5, x)
    return tail if t >= 0 else 1.0 - tail


def _betai(a: float, b: float, x: float) -> float:
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    lnbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lnbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):  # fmt: skip
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _sample(excess: Arr, returns: Arr, min_count: int) -> Sample:
    n = int(excess.size)
    if n == 0:
        return Sample(0, None, None, None, 1.0)
    mean_ret, ex = float(returns.mean()), float(excess.mean())
    sd = float(excess.std(ddof=1)) if n > 1 else 0.0
    if n < max(2, min_count) or sd == 0.0:
        return Sample(n, mean_ret, ex, None, 1.0)
    t = ex / (sd / np.sqrt(n))
    return Sample(n, mean_ret, ex, float(t), t_sf(float(t), n - 1))


def study_combinations(
    close: Arr,
    entry: Arr,
    events: Mapping[SignalType, Arr],
    first: Arr,
    horizons: Sequence[int],
    *,
    signals: Sequence[SignalType],
    window: int,
    min_count: int = 10,
    fdr: float = DEFAULT_FDR,
) -> ComboResult:
    """Walk-forward rating of every pair of `signals` (module docstring). Arrays are (n_bars, n_inst)."""
    n_bars = close.shape[0]
    rows_idx = np.arange(n_bars)[:, None]
    first = np.asarray(first, dtype=np.int64)
    cut = first + np.floor(DISCOVERY_SHARE * (n_bars - first)).astype(np.int64)
    has_bar = np.isfinite(close)
    prev = np.vstack([close[:1], close[:-1]])
    bar_dir = np.where(close >= prev, 1.0, -1.0)
    pairs = all_pairs(signals)
    near = {s: recent(events[s], window) for s in dict.fromkeys(signals)}
    parts: dict[tuple[Combo, int], tuple[Sample, Sample]] = {}
    for h in sorted(set(horizons)):
        fwd = np.full_like(close, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            fwd[:-h] = close[h:] / entry[:-h] - 1.0
        in_disc = (rows_idx >= first) & (rows_idx + h < cut) & has_bar
        in_conf = (rows_idx >= cut) & (rows_idx + h <= n_bars - 1) & has_bar
        mu = [_col_mean(fwd, m) for m in (in_disc, in_conf)]
        for c in pairs:
            fired = combo_mask(events[c.first], events[c.second], window,
                               recent_a=near[c.first], recent_b=near[c.second])  # fmt: skip
            d = np.full(close.shape, float(c.direction)) if c.direction else bar_dir
            samples = []
            for seg, base in zip((in_disc, in_conf), mu, strict=True):
                sel = fired & seg & np.isfinite(fwd)
                r = (d * fwd)[sel]
                ex = r - (d * base[None, :])[sel]
                samples.append(_sample(ex, r, min_count))
            parts[(c, h)] = (samples[0], samples[1])
    keys = list(parts)
    disc = benjamini_hochberg([parts[k][0].p_value for k in keys], fdr)
    found = [k for k, ok in zip(keys, disc, strict=True) if ok]
    conf_p = [parts[k][1].p_value for k in found]
    conf = dict(zip(found, benjamini_hochberg(conf_p, fdr), strict=True))
    out = []
    for k, is_disc in zip(keys, disc, strict=True):
        d_s, c_s = parts[k]
        ok = bool(conf.get(k)) and c_s.count >= min_count and (c_s.excess or 0.0) > 0.0
        out.append(ComboRow(k[0], k[1], d_s, c_s, is_disc, ok))
    out.sort(key=lambda r: (not r.confirmed, not r.discovered, r.discovery.p_value, r.combo, r.horizon))
    return ComboResult(tuple(out), window, fdr, len(keys))


def _col_mean(fwd: Arr, seg: Arr) -> Arr:
    ok = seg & np.isfinite(fwd)
    n = ok.sum(axis=0)
    s = np.where(ok, fwd, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: Arr = np.where(n > 0, s / np.maximum(n, 1), 0.0)
    return out


def run_combinations(panel: Panel, options: Options, *, window: int, fdr: float = DEFAULT_FDR) -> ComboResult:
    """study_combinations on a panel with the run's options (signals, horizons, basis, min_count)."""
    cfg = options.config
    events = compute_history(panel.close, panel.volume, cfg).events
    if panel.gaps:
        mask_gaps(events, panel.gaps, warmup=cfg.warmup, horizon=max(options.horizons))
    first = first_rows(panel, cfg.warmup, options.years)
    entry = entry_prices(panel.close, panel.open, options.basis)
    return study_combinations(panel.close, entry, events, first, options.horizons, signals=options.signals,
                              window=window, min_count=options.min_count, fdr=fdr)  # fmt: skip
