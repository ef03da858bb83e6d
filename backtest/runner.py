"""run_backtest: histories in, statistics, grades and strategy figures out."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backtest.data import Panel, build_panel, us_to_datetime
from backtest.flows import flow_masks, join_flows
from backtest.rating import DEFAULT_MIN_COUNT
from backtest.result import BacktestResult, Options, SymbolSeries
from backtest.strategy import StrategyStats, buy_and_hold, simulate
from backtest.study import event_study
from backtest.tradable import DEFAULT_BASIS, check_basis, entry_prices, mask_gaps, no_volume
from core.errors import UsageError
from core.quality import QualityRules
from core.types import FLOW_SIGNALS, PRICE_SIGNALS, Bar, InvestorFlow, SignalType
from signals import SignalConfig, compute_history

Arr = NDArray[Any]

logger = logging.getLogger(__name__)

DEFAULT_HORIZONS = (5, 20, 60)
DEFAULT_HOLD = 20


def check_histories(
    bars_by_symbol: Mapping[str, Sequence[Bar]],
    *,
    config: SignalConfig = SignalConfig(),
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    years: float = 10,
) -> dict[str, str]:
    """Problems that keep symbols out of a run: {symbol: clear message}. Empty when all are fine.

    Raises DataError for unusable bars (naive timestamps, invalid prices) naming symbol and bar.
    """
    problems = {
        sym: f"{sym}: no bars in the requested period (last {years:g} years)"
        for sym, bars in bars_by_symbol.items()
        if not bars
    }
    rest = {sym: bars for sym, bars in bars_by_symbol.items() if bars}
    if rest:
        problems.update(check_panel(build_panel(rest), config=config, horizons=horizons, years=years))
    return {sym: problems[sym] for sym in bars_by_symbol if sym in problems}


def check_panel(
    panel: Panel, *, config: SignalConfig, horizons: Sequence[int], years: float
) -> dict[str, str]:
    """check_histories on an already built panel."""
    problems: dict[str, str] = {}
    need = config.warmup
    first = first_rows(panel, need, years)
    for j, sym in enumerate(panel.symbols):
        n = panel.n_bars - int(panel.start[j])
        period = panel.n_bars - int(first[j])
        if n < need:
            problems[sym] = (
                f"{sym}: only {n} bars, fewer than the {need} the signals need to warm up "
                f"(SMA {config.sma_slow} + 1); load more history"
            )
        elif max(horizons) >= period:
            problems[sym] = (
                f"{sym}: horizon {max(horizons)} is not shorter than the {period} bars of the study "
                f"period; use smaller --horizons or more --years"
            )
    return problems


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
    hist = compute_history(panel.close, panel.volume, cfg, threads=_threads)
    events = dict(hist.events)
    if any(s in FLOW_SIGNALS for s in options.signals):
        events.update(flow_masks(panel, streak_days=cfg.foreign_streak_days))
    if panel.gaps:
        mask_gaps(events, panel.gaps, warmup=cfg.warmup, horizon=max(options.horizons))
    first = first_rows(panel, cfg.warmup, options.years)
    entry = entry_prices(panel.close, panel.open, options.basis)
    stats = event_study(panel.close, panel.high, panel.low, events, first, options.horizons,
                        signals=options.signals, threads=_threads, entry=entry)  # fmt: skip
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
                start=f - s0, equity=curves, buy_hold=bh_curve, entry=entry[s0:, j].copy(),
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
        quality=panel.quality,
        no_volume=tuple(no_volume(panel.volume, panel.start)),
    )


_threads: int | None = None  # history and event-study threads per process (None: one per core)


def _worker_init() -> None:
    global _threads
    _threads = 1  # one worker process per core already


def _options(
    config: SignalConfig, horizons: Sequence[int], signals: Sequence[SignalType] | None, years: float,
    min_count: int, hold: int, keep_series: bool, basis: str = DEFAULT_BASIS,
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
    sigs = tuple(SignalType) if signals is None else tuple(dict.fromkeys(map(_signal, signals)))
    if not sigs:
        raise UsageError("no signal types selected")
    return Options(config, hz, sigs, float(years), min_count, hold, keep_series, check_basis(basis))


def _signal(name: SignalType | str) -> SignalType:
    try:
        return SignalType(name)
    except ValueError:
        raise UsageError(f"unknown signal {name!r}; choose from {', '.join(SignalType)}") from None


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
    basis: str = DEFAULT_BASIS,
    quality: QualityRules = QualityRules(),
    flows: Mapping[str, Sequence[InvestorFlow]] | None = None,
) -> BacktestResult:
    """Event study, strategy view and grades of every symbol's history.

    Forward returns start from the next bar's open (`basis='next_open'`, what a person acting on
    an alert can get) or from the signal bar's close (`basis='close'`). Every history goes through
    the bad-bar rule of `core.quality` (`quality` holds its thresholds); the result's `quality`
    says what it changed or held out. `flows` (investor net buying per symbol, loaded by the caller)
    are joined to the bars by session date for the flow signals; without them those never fire.

    Bars before the last `years` years only warm up the indicators; the study period of a symbol
    starts at the later of (first bar + warm-up - 1) and (last bar - `years`). `workers` > 1 splits
    the symbols over that many processes. `progress(k)` is called as k more symbols are done.
    Raises UsageError for bad options or histories (see `check_histories`).
    """
    if signals is None and not flows:
        signals = PRICE_SIGNALS  # the flow signals need flows: without them they would never fire
    opts = _options(config, horizons, signals, years, min_count, hold, keep_series, basis)
    empty = [sym for sym, bars in bars_by_symbol.items() if not bars]
    if empty:
        raise UsageError("; ".join(f"{sym}: no bars in the requested period" for sym in empty))
    panel = build_panel(bars_by_symbol, rules=quality)
    if flows:
        panel = join_flows(panel, flows)
    problems = check_panel(panel, config=config, horizons=opts.horizons, years=years)
    if problems:
        raise UsageError("; ".join(problems.values()))
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
