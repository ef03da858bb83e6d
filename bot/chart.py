"""PNG candlestick chart with SMA 50/200, volume and signal markers (matplotlib, Agg backend)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from matplotlib.figure import Figure  # the OO API renders with Agg and is safe in worker threads
from numpy.typing import NDArray

from core.settings import Settings
from core.types import Bar, SignalEvent, SignalType
from signals import SignalConfig, compute_history, signal_config

UP, DOWN = "#26a69a", "#ef5350"
MARKER_COLORS = {
    SignalType.BREAKOUT_200: "#2e7d32",
    SignalType.BREAKDOWN_200: "#c62828",
    SignalType.GOLDEN_CROSS: "#f9a825",
    SignalType.DEATH_CROSS: "#4a148c",
    SignalType.RSI_OVERBOUGHT: "#8e24aa",
    SignalType.RSI_OVERSOLD: "#00acc1",
    SignalType.VOLUME_SPIKE: "#616161",
}


@dataclass(frozen=True, slots=True)
class ChartData:
    """What a chart draws besides the bars, from one pass of the signal engine over them."""

    events: list[SignalEvent]
    sma_fast: NDArray[np.float64]
    sma_slow: NDArray[np.float64]


def chart_data(bars: Sequence[Bar], settings: Settings, stored: Sequence[SignalEvent] = ()) -> ChartData:
    """Stored events plus those the signal engine finds in `bars` (the same rules as live alerts), so a
    chart shows markers even for history loaded before the symbol was watched; and the engine's SMAs."""
    if not bars:
        empty = np.empty(0, dtype=np.float64)
        return ChartData(list(stored), empty, empty)
    close = np.array([b.adj_close for b in bars], dtype=np.float64)
    volume = np.array([b.volume for b in bars], dtype=np.float64)
    res = compute_history(close, volume, signal_config(settings))
    found = res.to_events([bars[0].symbol], [b.ts for b in bars])
    seen = {e.key for e in stored}
    events = [*stored, *(e for e in found if e.key not in seen)]
    return ChartData(events, np.asarray(res.sma_fast), np.asarray(res.sma_slow))


def history_events(
    bars: Sequence[Bar], settings: Settings, stored: Sequence[SignalEvent] = ()
) -> list[SignalEvent]:
    """The chart's markers (see `chart_data`)."""
    return chart_data(bars, settings, stored).events


def render_chart(
    bars: Sequence[Bar],
    events: Sequence[SignalEvent],
    title: str,
    since: datetime,
    *,
    smas: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> bytes:
    """PNG bytes. SMAs (the signal engine's, over adjusted closes of all `bars`, computed here unless
    given as `smas`); only bars from `since` are drawn."""
    closes = np.array([b.adj_close for b in bars], dtype=float)
    if smas is None:
        res = compute_history(closes, np.array([b.volume for b in bars], dtype=float), SignalConfig())
        smas = (np.asarray(res.sma_fast), np.asarray(res.sma_slow))
    sma50, sma200 = smas
    first = next((i for i, b in enumerate(bars) if b.ts >= since), 0)
    shown = bars[first:]
    x = np.arange(len(shown))
    fig = Figure(figsize=(10, 6), dpi=100)
    price_ax = fig.add_axes((0.07, 0.30, 0.90, 0.62))
    vol_ax = fig.add_axes((0.07, 0.08, 0.90, 0.18), sharex=price_ax)
    opens = np.array([b.open * b.adj_factor for b in shown])
    highs = np.array([b.high * b.adj_factor for b in shown])
    lows = np.array([b.low * b.adj_factor for b in shown])
    cl = closes[first:]
    colors = [UP if c >= o else DOWN for o, c in zip(opens, cl, strict=True)]
    price_ax.vlines(x, lows, highs, colors=colors, linewidth=0.8)
    price_ax.bar(x, np.abs(cl - opens) + 1e-12, bottom=np.minimum(opens, cl), color=colors, width=0.7)
    price_ax.plot(x, sma50[first:], color="#1e88e5", linewidth=1.0, label="SMA 50")
    price_ax.plot(x, sma200[first:], color="#fb8c00", linewidth=1.0, label="SMA 200")
    index = {b.ts: i for i, b in enumerate(shown)}
    labelled: set[SignalType] = set()
    for e in sorted(events, key=lambda ev: ev.signal):
        if e.ts in index:
            i = index[e.ts]
            up = e.signal.direction >= 0
            y = lows[i] * 0.985 if up else highs[i] * 1.015
            marker = "o" if e.signal.direction == 0 else ("^" if up else "v")
            label = None if e.signal in labelled else e.signal.value
            labelled.add(e.signal)
            color = MARKER_COLORS[e.signal]
            price_ax.scatter([i], [y], marker=marker, color=color, s=50, zorder=5, label=label)
    vol_ax.bar(x, [b.volume for b in shown], color=colors, width=0.7)
    step = max(1, len(shown) // 8)
    vol_ax.set_xticks(x[::step], [f"{b.ts:%Y-%m-%d}" for b in shown[::step]], fontsize=7)
    price_ax.tick_params(labelbottom=False)
    price_ax.set_title(title)
    price_ax.legend(loc="upper left", fontsize=7, ncols=2)
    price_ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
