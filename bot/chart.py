"""PNG candlestick chart with SMA 50/200, volume and signal markers (matplotlib, Agg backend), for reading:
title and legend in the chat's language (a CJK font for Korean), the legend above the data, prices with
their currency, volume in K/M (만/억), month ticks with the market's time zone named, weekly candles
past about a year, one marker shape per signal type."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure  # the OO API renders with Agg and is safe in worker threads
from matplotlib.ticker import FuncFormatter
from numpy.typing import NDArray

from bot.chart_patterns import draw_patterns
from bot.i18n import signal_name
from bot.views import volume_text
from core.fonts import korean_font
from core.labels import SIGNAL_MARKERS, price_decimals
from core.settings import Settings
from core.types import Bar, Language, SignalEvent, SignalType
from signals import SignalConfig, compute_history, signal_config

UP, DOWN = "#26a69a", "#ef5350"
MARKER_COLORS = {s: color for s, (_, color) in SIGNAL_MARKERS.items()}
WEEKLY_AFTER = 300  # more daily bars than this (about 14 months) are drawn as weekly candles
_TEXT = {
    Language.EN: {"price": "Price ({currency})", "volume": "Volume", "daily": "Daily candles",
                  "weekly": "Weekly candles", "dates": "session dates, {city} time ({tz})"},
    Language.KO: {"price": "가격 ({currency})", "volume": "거래량", "daily": "일봉", "weekly": "주봉",
                  "dates": "거래일, {city} 시간 ({tz})"},
}  # fmt: skip


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


@dataclass(frozen=True, slots=True)
class _Candles:
    """Candles to draw: one per day, or one per ISO week; `ends[i]` is the last daily row of candle i."""

    dates: list[datetime]
    o: NDArray[np.float64]
    h: NDArray[np.float64]
    lo: NDArray[np.float64]
    c: NDArray[np.float64]
    v: NDArray[np.float64]
    ends: NDArray[np.int64]


def candles(shown: Sequence[Bar], weekly: bool) -> _Candles:
    f = np.array([b.adj_factor for b in shown])
    o, h = np.array([b.open for b in shown]) * f, np.array([b.high for b in shown]) * f
    lo, c = np.array([b.low for b in shown]) * f, np.array([b.close for b in shown]) * f
    v = np.array([b.volume for b in shown], dtype=float)
    if not weekly:
        return _Candles([b.ts for b in shown], o, h, lo, c, v, np.arange(len(shown)))
    weeks = [b.ts.isocalendar()[:2] for b in shown]
    starts = [i for i in range(len(shown)) if i == 0 or weeks[i] != weeks[i - 1]]
    ends = np.array([*(s - 1 for s in starts[1:]), len(shown) - 1])
    return _Candles(
        [shown[s].ts for s in starts],
        o[starts],
        np.maximum.reduceat(h, starts),
        np.minimum.reduceat(lo, starts),
        c[ends],
        np.add.reduceat(v, starts),
        ends,
    )


def build_chart(
    bars: Sequence[Bar],
    events: Sequence[SignalEvent],
    title: str,
    since: datetime,
    *,
    smas: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    lang: Language = Language.EN,
    currency: str = "",
    city: str = "UTC",
    tz: str = "UTC",
    windows: tuple[int, int] = (50, 200),
) -> Figure:
    """The chart as a matplotlib Figure (tests read its parts); `render_chart` makes the PNG."""
    closes = np.array([b.adj_close for b in bars], dtype=float)
    if smas is None:
        res = compute_history(closes, np.array([b.volume for b in bars], dtype=float), SignalConfig())
        smas = (np.asarray(res.sma_fast), np.asarray(res.sma_slow))
    first = next((i for i, b in enumerate(bars) if b.ts >= since), 0)
    shown = bars[first:]
    weekly = len(shown) > WEEKLY_AFTER
    cd = candles(shown, weekly)
    x = np.arange(len(cd.dates))
    fig = Figure(figsize=(10, 6.5), dpi=110)
    price_ax = fig.add_axes((0.09, 0.34, 0.88, 0.50))
    vol_ax = fig.add_axes((0.09, 0.12, 0.88, 0.18), sharex=price_ax)
    colors = [UP if c >= o else DOWN for o, c in zip(cd.o, cd.c, strict=True)]
    width = 0.7 if len(x) < 200 else 0.8
    price_ax.vlines(x, cd.lo, cd.h, colors=colors, linewidth=0.8 if len(x) < 200 else 0.6)
    price_ax.bar(x, np.abs(cd.c - cd.o) + 1e-12, bottom=np.minimum(cd.o, cd.c), color=colors, width=width)
    fast, slow = (np.asarray(s)[first:][cd.ends] for s in smas)
    sma_names = {Language.EN: "SMA {n}", Language.KO: "{n}일 이동평균"}[lang]
    price_ax.plot(x, fast, color="#1e88e5", linewidth=1.1, label=sma_names.format(n=windows[0]))
    price_ax.plot(x, slow, color="#fb8c00", linewidth=1.1, label=sma_names.format(n=windows[1]))
    _markers(price_ax, shown, cd, events, lang)
    draw_patterns(price_ax, shown, cd.ends, events, str(lang))
    vol_ax.bar(x, cd.v, color=colors, width=width)
    kind = _TEXT[lang]["weekly" if weekly else "daily"]
    xlabel = f"{kind} · {_TEXT[lang]['dates'].format(city=city, tz=tz)}"
    axes_text(fig, price_ax, vol_ax, lang, title, currency, xlabel, _month_ticks(cd.dates, lang))
    return fig


def _markers(
    ax: Axes, shown: Sequence[Bar], cd: _Candles, events: Sequence[SignalEvent], lang: Language
) -> None:
    """One marker shape and colour per signal type, below the candle for bullish, above for bearish."""
    row = {b.ts: i for i, b in enumerate(shown)}
    candle_of = np.searchsorted(cd.ends, np.arange(len(shown)))
    labelled: set[SignalType] = set()
    for e in sorted(events, key=lambda ev: list(SignalType).index(ev.signal)):
        if e.ts not in row:
            continue
        i = int(candle_of[row[e.ts]])
        up = e.signal.direction >= 0
        y = cd.lo[i] * 0.985 if up else cd.h[i] * 1.015
        marker, color = SIGNAL_MARKERS[e.signal]
        label = None if e.signal in labelled else signal_name(lang, e.signal)
        labelled.add(e.signal)
        ax.scatter(
            [i],
            [y],
            marker=marker,
            color=color,
            s=130 if marker == "*" else 60,
            zorder=5,
            label=label,
            edgecolors="white",
            linewidths=0.5,
        )


def axes_text(
    fig: Figure, price_ax: Axes, vol_ax: Axes, lang: Language, title: str, currency: str, xlabel: str,
    xticks: tuple[list[int], list[str]],
) -> None:  # fmt: skip
    words = _TEXT[lang]
    fig.suptitle(title, x=0.09, y=0.975, ha="left", fontsize=13, fontweight="bold")
    price_ax.set_ylabel(words["price"].format(currency=currency or "-"))
    decimals = price_decimals(currency) if currency else 2
    price_ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v:,.0f}" if v == round(v) else f"{v:,.{decimals}f}")
    )
    vol_ax.set_ylabel(words["volume"])
    vol_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: volume_text(lang, v) if v else "0"))
    vol_ax.yaxis.get_offset_text().set_visible(False)
    vol_ax.locator_params(axis="y", nbins=3)
    vol_ax.set_xlabel(xlabel, fontsize=9)
    vol_ax.set_xticks(*xticks, fontsize=9)
    price_ax.tick_params(labelbottom=False)
    price_ax.grid(alpha=0.3)
    vol_ax.grid(alpha=0.3, axis="y")
    price_ax.margins(x=0.01)
    if not price_ax.get_legend_handles_labels()[1]:
        return
    price_ax.legend(
        loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=5, fontsize=9, frameon=False, borderaxespad=0.0
    )


def _month_ticks(dates: Sequence[datetime], lang: Language) -> tuple[list[int], list[str]]:
    """A tick at the first candle of each month (every 2nd, 3rd … month when there are many)."""
    starts = [
        i
        for i, d in enumerate(dates)
        if i == 0 or (d.year, d.month) != (dates[i - 1].year, dates[i - 1].month)
    ]
    step = max(1, -(-len(starts) // 8))
    picked = starts[::step]
    fmt = "%Y.%m" if lang is Language.KO else "%b %Y"
    if len(picked) > 1 and picked[0] == 0 and picked[1] < 5:
        picked = picked[1:]  # a partial first month would crowd the next label
    return picked, [dates[i].strftime(fmt) for i in picked]


def font_family() -> tuple[str, ...]:
    """The fonts charts ask for: the Korean one (`core.fonts`) first when installed."""
    name = korean_font()
    return (name, "DejaVu Sans") if name else ("DejaVu Sans",)


def has_korean_font() -> bool:
    return font_family()[0] != "DejaVu Sans"


def render_chart(
    bars: Sequence[Bar],
    events: Sequence[SignalEvent],
    title: str,
    since: datetime,
    *,
    smas: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    lang: Language = Language.EN,
    currency: str = "",
    city: str = "UTC",
    tz: str = "UTC",
    windows: tuple[int, int] = (50, 200),
) -> bytes:
    """PNG bytes of `build_chart` (SMAs: the signal engine's over adjusted closes of all `bars`, computed
    here unless given as `smas`; only bars from `since` are drawn)."""
    if lang is Language.KO and not has_korean_font():
        lang = Language.EN  # English labels rather than empty boxes (install fonts-noto-cjk)
    with rc_context({"font.family": list(font_family()), "axes.unicode_minus": False}):
        fig = build_chart(
            bars,
            events,
            title,
            since,
            smas=smas,
            lang=lang,
            currency=currency,
            city=city,
            tz=tz,
            windows=windows,
        )
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()
