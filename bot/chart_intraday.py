"""PNG of intraday candles (the last session or sessions at 1, 5 or 15 minutes) with volume, in the look
of the daily chart (bot/chart.py): times in the market's zone (KST for Korean stocks), named with its
abbreviation on the axis; hour ticks for one session, a tick and a dashed line per session for more."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from bot.chart import DOWN, UP, axes_text, candles, font_family, has_korean_font
from core.types import Bar, Language

_TEXT = {
    Language.EN: {"candles": "{n}-minute candles", "times": "{city} time ({abbr}, {tz})", "day": "%b %d"},
    Language.KO: {"candles": "{n}분봉", "times": "{city} 시간 ({abbr}, {tz})", "day": "%m.%d"},
}


def build_intraday_chart(
    bars: Sequence[Bar], title: str, minutes: int, *, lang: Language = Language.EN, currency: str = "",
    city: str = "UTC", tz: str = "UTC",
) -> Figure:  # fmt: skip
    """The chart as a matplotlib Figure (tests read its parts): one candle per bar, oldest first."""
    zone = ZoneInfo(tz)
    local = [b.ts.astimezone(zone) for b in bars]
    cd = candles(bars, weekly=False)
    x = np.arange(len(bars))
    fig = Figure(figsize=(10, 6.5), dpi=110)
    price_ax = fig.add_axes((0.09, 0.34, 0.88, 0.50))
    vol_ax = fig.add_axes((0.09, 0.12, 0.88, 0.18), sharex=price_ax)
    colors = [UP if c >= o else DOWN for o, c in zip(cd.o, cd.c, strict=True)]
    width = 0.7 if len(x) < 200 else 0.8
    price_ax.vlines(x, cd.lo, cd.h, colors=colors, linewidth=0.8 if len(x) < 200 else 0.5)
    price_ax.bar(x, np.abs(cd.c - cd.o) + 1e-12, bottom=np.minimum(cd.o, cd.c), color=colors, width=width)
    vol_ax.bar(x, cd.v, color=colors, width=width)
    starts = [i for i, d in enumerate(local) if i == 0 or d.date() != local[i - 1].date()]
    for i in starts[1:]:
        for ax in (price_ax, vol_ax):
            ax.axvline(i - 0.5, color="#9e9e9e", linestyle="--", linewidth=0.7)
    words = _TEXT[lang]
    abbr = local[-1].tzname() if local else tz
    times = words["times"].format(city=city, abbr=abbr, tz=tz)
    xlabel = f"{words['candles'].format(n=minutes)} · {times}"
    axes_text(fig, price_ax, vol_ax, lang, title, currency, xlabel, _time_ticks(local, starts, words["day"]))
    return fig


def _time_ticks(local: Sequence[datetime], starts: list[int], day_fmt: str) -> tuple[list[int], list[str]]:
    """One session: a tick at each full hour (every 2nd when crowded). More: one per session start."""
    if len(starts) > 1:
        return starts, [local[i].strftime(day_fmt) for i in starts]
    hours = [i for i, d in enumerate(local) if i == 0 or d.hour != local[i - 1].hour]
    hours = hours[:: max(1, -(-len(hours) // 9))]
    return hours, [local[i].strftime("%H:%M") for i in hours]


def render_intraday_chart(
    bars: Sequence[Bar], title: str, minutes: int, *, lang: Language = Language.EN, currency: str = "",
    city: str = "UTC", tz: str = "UTC",
) -> bytes:  # fmt: skip
    """PNG bytes of `build_intraday_chart` (English labels when no CJK font is installed)."""
    if lang is Language.KO and not has_korean_font():
        lang = Language.EN
    with rc_context({"font.family": list(font_family()), "axes.unicode_minus": False}):
        fig = build_intraday_chart(bars, title, minutes, lang=lang, currency=currency, city=city, tz=tz)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()
