"""PNG chart of one symbol: price with SMAs and signal markers, strategy equity vs buy-and-hold.

Uses matplotlib's object API with the Agg canvas: no pyplot, no display, no global state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from backtest.result import BacktestResult
from core.types import SignalType

_MARKERS = {1: ("^", "tab:green"), -1: ("v", "tab:red"), 0: ("o", "tab:gray")}


def draw_chart(result: BacktestResult, symbol: str, path: Path) -> None:
    """Write the chart of `symbol` to `path` (needs a result run with keep_series=True)."""
    if symbol not in result.series:
        raise KeyError(f"no series kept for {symbol!r}: run with keep_series=True")
    s = result.series[symbol]
    dates = s.ts.astype("datetime64[us]")
    cfg = result.options.config
    fig = Figure(figsize=(12, 8), dpi=100)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    top.plot(dates, s.close, color="black", linewidth=0.8, label="close (adjusted)")
    top.plot(dates, s.sma_fast, color="tab:blue", linewidth=0.8, label=f"SMA {cfg.sma_fast}")
    top.plot(dates, s.sma_slow, color="tab:orange", linewidth=0.8, label=f"SMA {cfg.sma_slow}")
    for sig in result.signals:
        rows = np.flatnonzero(s.events[sig][s.start :]) + s.start
        if rows.size:
            marker, color = _MARKERS[sig.direction]
            if sig in (SignalType.RSI_OVERBOUGHT, SignalType.RSI_OVERSOLD, SignalType.VOLUME_SPIKE):
                color = {"rsi_overbought": "tab:purple", "rsi_oversold": "tab:cyan"}.get(sig.value, color)
            top.scatter(
                dates[rows], s.close[rows], marker=marker, color=color, s=22, label=sig.value, zorder=3
            )
    top.axvline(dates[s.start], color="gray", linestyle=":", linewidth=0.8)
    top.set_title(f"{symbol}: price, SMAs and signals")
    top.legend(loc="upper left", fontsize=7, ncol=2)
    period = dates[s.start :]
    for sig in result.signals:
        bottom.plot(period, s.equity[sig], linewidth=0.8, label=sig.value)
    bottom.plot(period, s.buy_hold, color="black", linewidth=1.2, label="buy & hold")
    bottom.set_title(f"strategy equity (exit after {result.options.hold} bars or opposite signal)")
    bottom.legend(loc="upper left", fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, format="png")
