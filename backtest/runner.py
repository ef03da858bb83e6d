"""run_backtest: histories in, statistics, grades and strategy figures out."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backtest.data import Panel, build_panel, us_to_datetime
from backtest.occurrences import occurrences
from backtest.rating import DEFAULT_MIN_COUNT, grade
from backtest.strategy import StrategyStats, buy_and_hold, simulate
from backtest.study import StudyStats, event_study
from core.errors import UsageError
from core.types import Bar, Rating, SignalType
from signals import SignalConfig, compute_history

Arr = NDArray[Any]

logger = logging.getLogger(__name__)

DEFAULT_HORIZONS = (5, 20, 60)
DEFAULT_HOLD = 20


@dataclass(frozen=True, slots=True)
class Options:
    """Everything a run depends on besides the bars (picklable, sent to worker processes)."""

    config: SignalConfig
    horizons: tuple[int, ...]
    signals: tuple[SignalType, ...]
    years: float
    min_count: int
    hold: int
    keep_series: bool

    def params(self) -> dict[str, Any]:
        c = self.config
        return {
            "sma_fast": c.sma_fast,
            "sma_slow": c.sma_slow,
            "rsi_period": c.rsi_period,
            "rsi_overbought": c.rsi_overbought,
            "rsi_oversold": c.rsi_oversold,
            "volume_window": c.volume_window,
            "volume_multiple": c.volume_multiple,
            "years": self.years,
            "horizons": list(self.horizons),
            "hold": self.hold,
            "min_count": self.min_count,
        }


@dataclass(frozen=True, eq=False)
class SymbolSeries:
    """Per-bar series of one instrument, kept for charts (`keep_series=True`)."""

    ts: Arr  # int64 microseconds since the epoch
    close: Arr
    high: Arr
    low: Arr
    sma_fast: Arr
    sma_slow: Arr
    events: dict[SignalType, Arr]
    start: int  # first row of the study period
    equity: dict[SignalType, Arr]  # strategy equity from `start` on
    buy_hold: Arr


def _clean(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Statistics per (symbol, signal, horizon), strategy figures per (symbol, signal)."""

    symbols: tuple[str, ...]
    stats: StudyStats
    period_start: tuple[datetime, ...]
    period_end: tuple[datetime, ...]
    period_bars: tuple[int, ...]
    strategy: Mapping[tuple[str, SignalType], StrategyStats]
    buy_hold: Mapping[str, StrategyStats]
    options: Options
    run_at: datetime
    series: Mapping[str, SymbolSeries] = field(default_factory=dict)

    @property
    def signals(self) -> tuple[SignalType, ...]:
        return self.stats.signals

    @property
    def horizons(self) -> tuple[int, ...]:
        return self.stats.horizons

    def params(self) -> dict[str, Any]:
        """The run's parameters (signal config, years, horizons, hold, min_count)."""
        return self.options.params()

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per (symbol, signal, horizon); returns are fractions, NaN becomes None."""
        st = self.stats
        hit, exc, tst = st.hit_rate, st.excess, st.t_stat
        out: list[dict[str, Any]] = []
        for j, sym in enumerate(self.symbols):
            bh = self.buy_hold[sym]
            for si, sig in enumerate(st.signals):
                strat = self.strategy[(sym, sig)]
                for hi, h in enumerate(st.horizons):
                    n = int(st.count[si, hi, j])
                    t = _clean(tst[si, hi, j])
                    rec: dict[str, Any] = {
                        "symbol": sym,
                        "signal": sig.value,
                        "horizon": h,
                        "count": n,
                        "excluded": int(st.excluded[si, hi, j]),
                        "hit_rate": _clean(hit[si, hi, j]),
                        "mean_return": _clean(st.mean[si, hi, j]),
                        "median_return": _clean(st.median[si, hi, j]),
                        "baseline_mean": _clean(st.baseline[si, hi, j]),
                        "excess": _clean(exc[si, hi, j]),
                        "t_stat": t,
                        "worst_mae": _clean(st.worst_mae[si, hi, j]),
                        "grade": grade(n, t, min_count=self.options.min_count),
                        "period_start": self.period_start[j].isoformat(),
                        "period_end": self.period_end[j].isoformat(),
                        "period_bars": self.period_bars[j],
                    }
                    rec.update({f"strategy_{k}": v for k, v in strat.as_dict().items()})
                    rec.update({f"buy_hold_{k}": bh.as_dict()[k] for k in ("total_return", "cagr", "sharpe",
                                                                          "max_drawdown")})  # fmt: skip
                    out.append(rec)
        return out

    def ratings(self) -> list[Rating]:
        """`core.types.Rating` records for the database (params and period included)."""
        params = self.params()
        out = []
        for rec in self.records():
            j = self.symbols.index(rec["symbol"])
            out.append(
                Rating(
                    symbol=rec["symbol"],
                    signal=SignalType(rec["signal"]),
                    horizon=rec["horizon"],
                    count=rec["count"],
                    hit_rate=rec["hit_rate"],
                    mean_return=rec["mean_return"],
                    median_return=rec["median_return"],
                    baseline_mean=rec["baseline_mean"],
                    excess=rec["excess"],
                    t_stat=rec["t_stat"],
                    worst_mae=rec["worst_mae"],
                    grade=rec["grade"],
                    period_start=self.period_start[j],
                    period_end=self.period_end[j],
                    excluded=rec["excluded"],
                    params=params,
                    run_at=self.run_at,
                )
            )
        return out

    def occurrences(self, symbol: str) -> list[dict[str, Any]]:
        """Every event of `symbol` in its study period with forward returns (needs keep_series=True)."""
        if symbol not in self.series:
            raise KeyError(f"no series kept for {symbol!r}: run with keep_series=True")
        s = self.series[symbol]
        rows: list[dict[str, Any]] = []
        for sig in self.signals:
            rows += occurrences(s.ts, s.close, s.high, s.low, s.events[sig], signal=sig, start=s.start,
                                horizons=self.horizons)  # fmt: skip
        return sorted(rows, key=lambda r: r["ts"])

    def rating(self, symbol: str, signal: SignalType, horizon: int) -> Rating:
        for r in self.ratings():
            if (r.symbol, r.signal, r.horizon) == (symbol, signal, horizon):
                return r
        raise KeyError((symbol, signal, horizon))

    @staticmethod
    def merge(parts: Sequence[BacktestResult]) -> BacktestResult:
        """Join results of disjoint symbol sets computed with the same options."""
        first = parts[0]
        return BacktestResult(
            symbols=tuple(s for p in parts for s in p.symbols),
            stats=StudyStats.concat([p.stats for p in parts]),
            period_start=tuple(d for p in parts for d in p.period_start),
            period_end=tuple(d for p in parts for d in p.period_end),
            period_bars=tuple(n for p in parts for n in p.period_bars),
            strategy={k: v for p in parts for k, v in p.strategy.items()},
            buy_hold={k: v for p in parts for k, v in p.buy_hold.items()},
            options=first.options,
            run_at=first.run_at,
            series={k: v for p in parts for k, v in p.series.items()},
        )


def check_histories(
    bars_by_symbol: Mapping[str, Sequence[Bar]],
    *,
    config: SignalConfig = SignalConfig(),
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    years: float = 10,
) -> dict[str, str]:
    """Problems that keep symbols out of a run: {symbol: clear message}. Empty when all are fine."""
    problems: dict[str, str] = {}
    need = config.warmup
    for sym, bars in bars_by_symbol.items():
        n = len({b.ts for b in bars})
        if n == 0:
            problems[sym] = f"{sym}: no bars in the requested period (last {years:g} years)"
        elif n < need:
            problems[sym] = (
                f"{sym}: only {n} bars, fewer than the {need} the signals need to warm up "
                f"(SMA {config.sma_slow} + 1); load more history"
            )
        else:
            last = max(b.ts for b in bars)
            cut = _period_cut(last, years)
            stamps = sorted({b.ts for b in bars})
            first = max(need - 1, next(i for i, ts in enumerate(stamps) if ts >= cut))
            period = n - first
            if max(horizons) >= period:
                problems[sym] = (
                    f"{sym}: horizon {max(horizons)} is not shorter than the {period} bars of the study "
                    f"period; use smaller --horizons or more --years"
                )
    return problems


def _period_cut(last: datetime, years: float) -> datetime:
    return last - timedelta(days=round(365.25 * years))


def first_rows(panel: Panel, warmup: int, years: float) -> Arr:
    """First row of each column's study period: after warm-up and within the last `years`."""
    last = panel.ts[-1]
    cut = last - round(365.25 * years) * 86_400_000_000
    first = np.empty(len(panel.symbols), dtype=np.int64)
    for j in range(first.size):
        col = panel.ts[panel.start[j] :, j]
        first[j] = panel.start[j] + max(warmup - 1, int(np.searchsorted(col, cut[j])))
    return first


def _directions(signal: SignalType, close: Arr) -> Arr:
    if signal.direction != 0:
        return np.full(close.shape, float(signal.direction))
    prev = np.concatenate(([close[0]], close[:-1]))
    return np.where(close >= prev, 1.0, -1.0)


def run_panel(panel: Panel, options: Options, run_at: datetime) -> BacktestResult:
    """The whole computation for one panel (the unit of work of a worker process)."""
    cfg = options.config
    hist = compute_history(panel.close, panel.volume, cfg)
    events = hist.events
    first = first_rows(panel, cfg.warmup, options.years)
    stats = event_study(panel.close, panel.high, panel.low, events, first, options.horizons,
                        signals=options.signals)  # fmt: skip
    strategy: dict[tuple[str, SignalType], StrategyStats] = {}
    buy_hold: dict[str, StrategyStats] = {}
    series: dict[str, SymbolSeries] = {}
    n = panel.n_bars
    for j, sym in enumerate(panel.symbols):
        o, c, f = panel.open[:, j], panel.close[:, j], int(first[j])
        curves: dict[SignalType, Arr] = {}
        for sig in options.signals:
            opp = sig.opposite
            exits = events[opp][:, j] if opp is not None else None
            strategy[(sym, sig)], curves[sig] = simulate(
                o, c, events[sig][:, j], _directions(sig, c), exits, start=f, hold=options.hold
            )
        buy_hold[sym], bh_curve = buy_and_hold(o, c, start=f)
        if options.keep_series:
            s0 = int(panel.start[j])
            series[sym] = SymbolSeries(
                ts=panel.ts[s0:, j].copy(), close=c[s0:].copy(),
                high=panel.high[s0:, j].copy(), low=panel.low[s0:, j].copy(),
                sma_fast=hist.sma_fast[s0:, j].copy(),
                sma_slow=hist.sma_slow[s0:, j].copy(),
                events={s: events[s][s0:, j].copy() for s in options.signals},
                start=f - s0, equity=curves, buy_hold=bh_curve,
            )  # fmt: skip
    return BacktestResult(
        symbols=panel.symbols,
        stats=stats,
        period_start=tuple(us_to_datetime(int(panel.ts[first[j], j])) for j in range(first.size)),
        period_end=tuple(us_to_datetime(int(panel.ts[n - 1, j])) for j in range(first.size)),
        period_bars=tuple(int(n - first[j]) for j in range(first.size)),
        strategy=strategy,
        buy_hold=buy_hold,
        options=options,
        run_at=run_at,
        series=series,
    )


def _worker_init() -> None:
    import numba

    numba.set_num_threads(1)  # one process per core already


def _options(
    config: SignalConfig, horizons: Sequence[int], signals: Sequence[SignalType] | None, years: float,
    min_count: int, hold: int, keep_series: bool,
) -> Options:  # fmt: skip
    hz = tuple(sorted({int(h) for h in horizons}))
    if not hz or hz[0] < 1:
        raise UsageError(f"horizons must be positive whole numbers of bars, got {list(horizons)}")
    if not years > 0:
        raise UsageError(f"years must be positive, got {years}")
    if min_count < 1:
        raise UsageError(f"min_count must be at least 1, got {min_count}")
    if hold < 1:
        raise UsageError(f"hold must be at least 1 bar, got {hold}")
    sigs = tuple(SignalType) if signals is None else tuple(dict.fromkeys(SignalType(s) for s in signals))
    if not sigs:
        raise UsageError("no signal types selected")
    return Options(config, hz, sigs, float(years), min_count, hold, keep_series)


def run_backtest(
    bars_by_symbol: Mapping[str, Sequence[Bar]],
    *,
    config: SignalConfig = SignalConfig(),
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    signals: Sequence[SignalType] | None = None,
    years: float = 10,
    min_count: int = DEFAULT_MIN_COUNT,
    hold: int = DEFAULT_HOLD,
    workers: int = 1,
    keep_series: bool = False,
    progress: Callable[[int], None] | None = None,
    run_at: datetime | None = None,
) -> BacktestResult:
    """Event study, strategy view and grades of every symbol's history.

    Bars before the last `years` years only warm up the indicators; the study period of a symbol
    starts at the later of (first bar + warm-up - 1) and (last bar - `years`). `workers` > 1 splits
    the symbols over that many processes. `progress(k)` is called as k more symbols are done.
    Raises UsageError for bad options or histories (see `check_histories`).
    """
    opts = _options(config, horizons, signals, years, min_count, hold, keep_series)
    problems = check_histories(bars_by_symbol, config=config, horizons=opts.horizons, years=years)
    if problems:
        raise UsageError("; ".join(problems.values()))
    panel = build_panel(bars_by_symbol)
    return run_arrays(panel, opts, workers=workers, progress=progress, run_at=run_at)


def run_arrays(
    panel: Panel,
    options: Options,
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    run_at: datetime | None = None,
) -> BacktestResult:
    """run_backtest on an already built panel (used by the grid search and the benchmark)."""
    at = run_at or datetime.now(UTC)
    m = len(panel.symbols)
    workers = max(1, min(workers, m))
    size = (
        max(1, min(500, math.ceil(m / (workers * 4)))) if workers > 1 else max(1, min(500, math.ceil(m / 20)))
    )
    chunks = [list(range(i, min(i + size, m))) for i in range(0, m, size)]
    parts: dict[int, BacktestResult] = {}
    if workers == 1 or len(chunks) == 1:
        for k, cols in enumerate(chunks):
            parts[k] = run_panel(panel.take(cols), options, at)
            if progress:
                progress(len(cols))
    else:
        ctx = get_context("forkserver")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init) as pool:
            futures = {
                pool.submit(run_panel, panel.take(cols), options, at): k for k, cols in enumerate(chunks)
            }
            for fut in as_completed(futures):
                k = futures[fut]
                parts[k] = fut.result()
                if progress:
                    progress(len(chunks[k]))
    logger.info("backtest of %d symbols done in %d chunks on %d workers", m, len(chunks), workers)
    return BacktestResult.merge([parts[k] for k in sorted(parts)])
