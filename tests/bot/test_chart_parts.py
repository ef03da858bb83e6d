"""The /chart picture, read part by part: labels with currency and time zone, K/M volume without an
offset, the legend above the data, weekly candles past a year, the chat's language, one marker per signal."""

from __future__ import annotations

from datetime import UTC, timedelta

import numpy as np
import pytest
from backtesting.test import GOOG
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from bot.chart import build_chart, chart_data, has_korean_font, render_chart
from core.settings import Settings
from core.types import Bar, Interval, Language

BARS = [
    Bar("GOOG", Interval.D1, ts.to_pydatetime().replace(tzinfo=UTC), o, h, lo, c, v)
    for ts, (o, h, lo, c, v) in zip(
        GOOG.index, GOOG[["Open", "High", "Low", "Close", "Volume"]].itertuples(index=False), strict=True
    )
]
DATA = chart_data(BARS, Settings(_env_file=None))  # type: ignore[call-arg]


def chart(days: int, lang: Language = Language.EN) -> Figure:
    since = BARS[-1].ts - timedelta(days=days)
    city = "New York" if lang is Language.EN else "뉴욕"
    return build_chart(
        BARS, DATA.events, "GOOG Alphabet · 6m", since, smas=(DATA.sma_fast, DATA.sma_slow), lang=lang,
        currency="USD", city=city, tz="America/New_York",
    )  # fmt: skip


def candles(fig: Figure) -> int:
    return len(fig.axes[1].patches)  # one volume bar per candle


def test_axes_name_currency_volume_units_and_time_zone() -> None:
    fig = chart(183)
    price, volume = fig.axes
    fig.canvas.draw()
    assert price.get_ylabel() == "Price (USD)"
    assert volume.get_ylabel() == "Volume"
    assert volume.get_xlabel() == "Daily candles · session dates, New York time (America/New_York)"
    assert volume.yaxis.get_offset_text().get_text() == ""  # no '1e7'
    labels = [t.get_text() for t in volume.get_yticklabels() if t.get_text() not in ("", "0")]
    assert labels
    assert all(label.endswith("M") for label in labels), labels
    months = [t.get_text() for t in volume.get_xticklabels()]
    assert "Oct 2012" in months
    assert 4 <= len(months) <= 8


def test_legend_sits_above_the_data_and_names_every_signal_once() -> None:
    fig = chart(1830)
    price = fig.axes[0]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    legend = price.get_legend()
    renderer = canvas.get_renderer()
    assert legend.get_window_extent(renderer).y0 >= price.get_window_extent(renderer).y1 - 1
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:2] == ["SMA 50", "SMA 200"]
    assert {"Golden cross", "Death cross", "SMA 200 breakout", "SMA 200 breakdown"} <= set(texts)
    assert len(texts) == len(set(texts))


def test_every_signal_type_has_its_own_marker() -> None:
    fig = chart(1830)
    shapes = {
        c.get_label(): c.get_paths()[0].vertices.round(3).tobytes()
        for c in fig.axes[0].collections
        if isinstance(c, PathCollection) and not c.get_label().startswith("_")
    }
    assert len(shapes) >= 6
    assert len(set(shapes.values())) == len(shapes)  # golden cross is not breakout's ▲


def test_weekly_candles_past_a_year() -> None:
    daily, weekly = chart(183), chart(1830)
    shown = sum(1 for b in BARS if b.ts >= BARS[-1].ts - timedelta(days=1830))
    assert candles(daily) == sum(1 for b in BARS if b.ts >= BARS[-1].ts - timedelta(days=183))
    assert shown / 6 < candles(weekly) < shown / 4
    assert weekly.axes[1].get_xlabel().startswith("Weekly candles")
    highs = np.array([p.get_height() for p in weekly.axes[1].patches])
    assert highs.max() > max(b.volume for b in BARS[-100:])  # a week's volume is the sum of its days


@pytest.mark.skipif(not has_korean_font(), reason="no CJK font: run `make test-deps` (fonts-noto-cjk)")
def test_korean_chart_speaks_korean() -> None:
    fig = chart(183, Language.KO)
    price, volume = fig.axes
    fig.canvas.draw()
    assert price.get_ylabel() == "가격 (USD)"
    assert volume.get_ylabel() == "거래량"
    assert volume.get_xlabel() == "일봉 · 거래일, 뉴욕 시간 (America/New_York)"
    texts = [t.get_text() for t in price.get_legend().get_texts()]
    assert texts[:2] == ["50일 이동평균", "200일 이동평균"]
    assert "RSI 과매수" in texts
    assert any(t.get_text().endswith("만") for t in volume.get_yticklabels())
    png = render_chart(BARS, DATA.events, "GOOG · 6개월", BARS[-120].ts, lang=Language.KO, currency="USD")
    assert png.startswith(b"\x89PNG")  # rendered without missing-glyph warnings (they are errors here)
