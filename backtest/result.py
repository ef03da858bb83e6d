"""BacktestResult: what a run produced, as records, Ratings and per-occurrence detail."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backtest.occurrences import occurrences
from backtest.rating import grade
from backtest.strategy import StrategyStats
from backtest.study import StudyStats
from backtest.tradable import NO_VOLUME, VOLUME_SIGNALS
from core.quality import QualityReport
from core.types import Rating, SignalType
from signals import SignalConfig

Arr = NDArray[Any]


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
    basis: str = "next_open"  # forward returns from the next open, or "close" (see backtest.tradable)

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
            "basis": self.basis,
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
    entry: Arr | None = None  # the price forward returns start from (None: the close)


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
    quality: tuple[QualityReport, ...] = ()  # per symbol: what the bad-bar rule changed or held out
    no_volume: tuple[bool, ...] = ()  # per symbol: a price-only history (no volume signals)

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
        cols = {
            "count": st.count,
            "excluded": st.excluded,
            "hit_rate": st.hit_rate,
            "mean_return": st.mean,
            "median_return": st.median,
            "baseline_mean": st.baseline,
            "excess": st.excess,
            "t_stat": st.t_stat,
            "worst_mae": st.worst_mae,
            "sd_return": st.sd,
            "median_drawdown": st.dd_median,
            "worst_drawdown": st.dd_worst,
            "return_risk": st.return_risk,
        }
        # (S, H, N) -> nested lists [j][si][hi] of Python numbers, NaN as None
        lists = {k: np.moveaxis(v, 2, 0).tolist() for k, v in cols.items()}
        out: list[dict[str, Any]] = []
        for j, sym in enumerate(self.symbols):
            bh = self.buy_hold[sym].as_dict()
            bh_cols = {f"buy_hold_{k}": bh[k] for k in ("total_return", "cagr", "sharpe", "max_drawdown")}
            period = {
                "period_start": self.period_start[j].isoformat(),
                "period_end": self.period_end[j].isoformat(),
                "period_bars": self.period_bars[j],
            }
            data = self._data_columns(j)
            no_vol = bool(self.no_volume[j]) if self.no_volume else False
            for si, sig in enumerate(st.signals):
                strat = {f"strategy_{k}": v for k, v in self.strategy[(sym, sig)].as_dict().items()}
                for hi, h in enumerate(st.horizons):
                    rec: dict[str, Any] = {"symbol": sym, "signal": sig.value, "horizon": h}
                    for k, v in lists.items():
                        x = v[j][si][hi]
                        rec[k] = None if isinstance(x, float) and not math.isfinite(x) else x
                    rec["grade"] = grade(rec["count"], rec["t_stat"], min_count=self.options.min_count,
                                         return_risk=rec["return_risk"])  # fmt: skip
                    rec["note"] = NO_VOLUME if sig in VOLUME_SIGNALS and no_vol else ""
                    rec.update(period)
                    rec.update(data)
                    rec.update(strat)
                    rec.update(bh_cols)
                    out.append(rec)
        return out

    def _data_columns(self, j: int) -> dict[str, Any]:
        q = self.quality[j] if self.quality else None
        return {
            "data_repaired": q.repaired if q else 0,
            "data_excluded": q.excluded if q else 0,
            "data_gaps": len(q.gaps) if q else 0,
            "data_notes": q.summary() if q else "clean",
        }

    def price_only(self, symbol: str) -> bool:
        """True when `symbol`'s history has no volume (volume signals were not produced)."""
        j = self.symbols.index(symbol)
        return bool(self.no_volume[j]) if self.no_volume else False

    def quality_dicts(self) -> list[dict[str, Any]]:
        """What the bad-bar rule changed or held out, one dict per symbol (for --json and reports)."""
        out = []
        for j, sym in enumerate(self.symbols):
            d: dict[str, Any] = self.quality[j].as_dict() if self.quality else {"symbol": sym}
            d["price_only"] = self.price_only(sym)
            out.append(d)
        return out

    def ratings(self) -> list[Rating]:
        """`core.types.Rating` records for the database (params and period included)."""
        params = self.params()
        col = {sym: j for j, sym in enumerate(self.symbols)}
        out = []
        for rec in self.records():
            j = col[rec["symbol"]]
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
                    sd_return=rec["sd_return"],
                    median_drawdown=rec["median_drawdown"],
                    worst_drawdown=rec["worst_drawdown"],
                    return_risk=rec["return_risk"],
                    grade=rec["grade"],
                    period_start=self.period_start[j],
                    period_end=self.period_end[j],
                    excluded=rec["excluded"],
                    params={**params, "note": rec["note"]} if rec["note"] else params,
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
                                horizons=self.horizons, entry=s.entry)  # fmt: skip
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
            quality=tuple(q for p in parts for q in p.quality),
            no_volume=tuple(x for p in parts for x in p.no_volume),
        )
