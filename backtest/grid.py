"""Parameter grid search: the event study for every cell of a grid of signal parameters.

Grid syntax (CLI `--grid`): cells are the product of ``name=values`` groups joined by ``;``.
Values are a comma list (``rsi_overbought=65,70,75``) or an inclusive range ``start:stop:step``
(``volume_multiple=1.5:3:0.5``). Names: sma_fast, sma_slow, rsi_period, volume_window (whole
numbers), rsi_overbought, rsi_oversold, volume_multiple. Only the signal types a varied parameter
affects are ranked. Statistics are pooled over all symbols (every event counts once).

Overfitting: the best of K cells looks good by chance alone (for K independent tries of a
worthless rule the best t is about sqrt(2 ln K), K = ranked rows); a warning is given when the best has fewer
than `OVERFIT_MIN_COUNT` events or does not beat that bar.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from backtest.data import Panel
from backtest.rating import grade
from backtest.result import Options
from backtest.runner import first_rows
from backtest.study import event_study, t_statistic
from backtest.tradable import entry_prices, mask_gaps
from core.errors import UsageError
from core.types import SignalType
from signals import SignalConfig, compute_history

OVERFIT_MIN_COUNT = 30
MAX_CELLS = 500
_INT = ("sma_fast", "sma_slow", "rsi_period", "volume_window")
_FLOAT = ("rsi_overbought", "rsi_oversold", "volume_multiple")
_SMA = (SignalType.BREAKOUT_200, SignalType.BREAKDOWN_200, SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS)
_RSI = (SignalType.RSI_OVERBOUGHT, SignalType.RSI_OVERSOLD)
AFFECTS: dict[str, tuple[SignalType, ...]] = {
    "sma_fast": (SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS),
    "sma_slow": _SMA,
    "rsi_period": _RSI,
    "rsi_overbought": (SignalType.RSI_OVERBOUGHT,),
    "rsi_oversold": (SignalType.RSI_OVERSOLD,),
    "volume_window": (SignalType.VOLUME_SPIKE,),
    "volume_multiple": (SignalType.VOLUME_SPIKE,),
}
GRID_HELP = (
    'cells of signal parameters, e.g. "rsi_overbought=65,70,75;volume_multiple=1.5:3:0.5" '
    "(';' between parameters, ',' between values, start:stop:step for an inclusive range; names: "
    + ", ".join(_INT + _FLOAT)
    + ")"
)


def _values(name: str, text: str) -> list[float]:
    out: list[float] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if ":" in part:
                start, stop, step = (float(x) for x in part.split(":"))
                if step <= 0 or stop < start:
                    raise ValueError
                count = math.floor((stop - start) / step + 1e-9) + 1
                out += [round(start + k * step, 10) for k in range(count)]
            else:
                out.append(float(part))
        except ValueError:
            raise UsageError(
                f"--grid: bad value {part!r} for {name} (use numbers or start:stop:step)"
            ) from None
    if not out:
        raise UsageError(f"--grid: no values for {name}")
    if name in _INT and any(v != int(v) or v < 1 for v in out):
        raise UsageError(f"--grid: {name} takes positive whole numbers, got {text!r}")
    return out


def parse_grid(spec: str) -> dict[str, list[float]]:
    """'name=v1,v2;name2=a:b:s' -> {name: [values]}. Raises UsageError with the problem named."""
    grid: dict[str, list[float]] = {}
    for group in spec.split(";"):
        group = group.strip()
        if not group:
            continue
        name, sep, values = group.partition("=")
        name = name.strip()
        if not sep or name not in AFFECTS:
            raise UsageError(
                f"--grid: expected name=values with a name among {', '.join(AFFECTS)}; got {group!r}"
            )
        if name in grid:
            raise UsageError(f"--grid: {name} given twice")
        grid[name] = _values(name, values)
    if not grid:
        raise UsageError("--grid: empty grid")
    cells = math.prod(len(v) for v in grid.values())
    if cells > MAX_CELLS:
        raise UsageError(f"--grid: {cells} cells is more than {MAX_CELLS}; use fewer values")
    return grid


@dataclass(frozen=True, slots=True)
class GridRow:
    """Pooled statistics of one (cell, signal, horizon)."""

    params: Mapping[str, Any]
    signal: SignalType
    horizon: int
    count: int
    hit_rate: float | None
    mean_return: float | None
    baseline_mean: float | None
    excess: float | None
    t_stat: float | None
    grade: str

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.params,
            "signal": self.signal.value,
            "horizon": self.horizon,
            "count": self.count,
            "hit_rate": self.hit_rate,
            "mean_return": self.mean_return,
            "baseline_mean": self.baseline_mean,
            "excess": self.excess,
            "t_stat": self.t_stat,
            "grade": self.grade,
        }


@dataclass(frozen=True, slots=True)
class GridResult:
    rows: tuple[GridRow, ...]  # ranked: highest t-statistic first; params = those the signal uses
    cells: int
    skipped: tuple[str, ...]  # cells refused by SignalConfig, with the reason
    warning: str | None


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _pool(config_params: Mapping[str, Any], stats: Any, si: int, hi: int, min_count: int) -> GridRow:
    n_j = stats.count[si, hi]
    has = n_j > 0
    n = int(n_j.sum())
    if n == 0:
        return GridRow(config_params, stats.signals[si], stats.horizons[hi], 0, None, None, None, None, None,
                       grade(0, None, min_count=min_count))  # fmt: skip
    mean_j, m2_j, base_j = stats.mean[si, hi][has], stats.m2[si, hi][has], stats.baseline[si, hi][has]
    w = n_j[has]
    mean = float((w * mean_j).sum() / n)
    m2 = float(m2_j.sum() + (w * (mean_j - mean) ** 2).sum())
    base = float((w * base_j).sum() / n)
    t = _num(float(t_statistic(np.array(n), np.array(mean), np.array(m2), np.array(base))))
    hits = int(stats.hits[si, hi].sum())
    sig, h = stats.signals[si], stats.horizons[hi]
    g = grade(n, t, min_count=min_count)
    return GridRow(config_params, sig, h, n, hits / n, mean, base, mean - base, t, g)


def run_grid(
    panel: Panel,
    options: Options,
    grid: Mapping[str, list[float]],
    *,
    progress: Callable[[int], None] | None = None,
) -> GridResult:
    """The pooled event study of every grid cell, ranked by t-statistic (best first)."""
    names = list(grid)
    signals = tuple(s for s in options.signals if any(s in AFFECTS[n] for n in names))
    if not signals:
        raise UsageError("--grid: the varied parameters affect none of the selected --signals")
    rows: list[GridRow] = []
    skipped: list[str] = []
    seen: set[tuple[SignalType, int, tuple[tuple[str, Any], ...]]] = set()
    cells = list(itertools.product(*(grid[n] for n in names)))
    for cell in cells:
        params: dict[str, Any] = {n: (int(v) if n in _INT else v) for n, v in zip(names, cell, strict=True)}
        try:
            cfg: SignalConfig = replace(options.config, **params)
            if cfg.sma_fast >= cfg.sma_slow:
                raise ValueError("sma_fast must be shorter than sma_slow")
        except (ValueError, TypeError) as exc:
            skipped.append(f"{params}: {exc}")
            if progress:
                progress(1)
            continue
        hist = compute_history(panel.close, panel.volume, cfg)
        first = first_rows(panel, cfg.warmup, options.years)
        if panel.gaps:
            mask_gaps(hist.events, panel.gaps, warmup=cfg.warmup, horizon=max(options.horizons))
        entry = entry_prices(panel.close, panel.open, options.basis)
        stats = event_study(panel.close, panel.high, panel.low, hist.events, first, options.horizons,
                            signals=signals, entry=entry, risk=False)  # fmt: skip
        for si, sig in enumerate(signals):
            relevant = {n: v for n, v in params.items() if sig in AFFECTS[n]}
            for hi in range(len(options.horizons)):
                key = (sig, hi, tuple(relevant.items()))
                if key not in seen:  # cells differing only in parameters this signal ignores
                    seen.add(key)
                    rows.append(_pool(relevant, stats, si, hi, options.min_count))
        if progress:
            progress(1)
    rows.sort(key=lambda r: (r.t_stat is None, -(r.t_stat or 0.0), -r.count))
    return GridResult(tuple(rows), len(cells), tuple(skipped), _warning(rows))


def _warning(rows: list[GridRow]) -> str | None:
    if not rows or rows[0].t_stat is None:
        return "no grid cell produced enough events to compare; the grid says nothing"
    best = rows[0]
    tries = len(rows)
    chance = math.sqrt(2.0 * math.log(max(tries, 2)))
    notes = []
    if best.count < OVERFIT_MIN_COUNT:
        notes.append(f"the best cell rests on only n={best.count} events (< {OVERFIT_MIN_COUNT})")
    if best.t_stat is not None and best.t_stat < chance:
        notes.append(
            f"its t={best.t_stat:.2f} is below ~{chance:.1f}, "
            f"the best t expected by chance alone from {tries} tries"
        )
    if not notes:
        return None
    return "possible overfitting: " + "; ".join(notes) + ". Confirm on other symbols or a later period."
