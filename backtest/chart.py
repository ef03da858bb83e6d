"""PNG chart of one symbol: price with SMAs and signal markers, strategy equity vs buy-and-hold.

Uses matplotlib's object API with the Agg canvas: no pyplot, no display, no global state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from backtest.result import BacktestResult
from core.labels import SIGNAL_MARKERS, signal_label


def draw_chart(result: BacktestResult, symbol: str, path: Path) -> Figure:
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
            marker, color = SIGNAL_MARKERS[sig]  # one shape and colour per signal type, as in /chart
            top.scatter(
                dates[rows], s.close[rows], marker=marker, color=color, s=40 if marker == "*" else 22,
                label=signal_label(sig), zorder=3,
            )  # fmt: skip
    top.axvline(dates[s.start], color="gray", linestyle=":", linewidth=0.8)
    top.set_title(f"{symbol}: price, SMAs and signals")
    top.set_ylabel("price, adjusted")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    period = dates[s.start :]
    for sig in result.signals:
        _, color = SIGNAL_MARKERS[sig]
        bottom.plot(period, s.equity[sig], linewidth=0.8, color=color, label=signal_label(sig))
    bottom.plot(period, s.buy_hold, color="black", linewidth=1.2, label="Buy & hold")
    bottom.set_title(f"strategy equity (exit after {result.options.hold} bars or opposite signal)")
    bottom.set_ylabel("equity (start = 1)")
    bottom.set_xlabel("session date (UTC)")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return fig
