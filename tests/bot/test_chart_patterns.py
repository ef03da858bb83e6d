"""/chart draws a chart pattern's geometry: swing points joined, neckline, target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import rc_context
from matplotlib.colors import to_hex

from bot.chart import build_chart, font_family, render_chart
from core.labels import SIGNAL_MARKERS
from core.types import Bar, Interval, Language, SignalType
from signals import compute_history
from tests.signals.helpers import stamps
from tests.signals.test_patterns import HS, path


def test_chart_draws_head_and_shoulders_geometry(tmp_path: Path) -> None:
    close = path(*HS)
    ts = stamps(close.size)
    bars = [
        Bar("X", Interval.D1, t, c * 0.995, c * 1.01, c * 0.99, c, 1000.0)
        for t, c in zip(ts, close, strict=True)
    ]
    events = [
        e
        for e in compute_history(close, np.full(close.size, 1000.0)).to_events(["X"], ts)
        if e.signal is SignalType.HEAD_AND_SHOULDERS
    ]
    assert len(events) == 1
    v = events[0].values
    with rc_context({"font.family": list(font_family()), "axes.unicode_minus": False}):
        fig = build_chart(bars, events, "X 헤드 앤 숄더", ts[0], lang=Language.KO)
    (tmp_path / "hs.png").write_bytes(render_chart(bars, events, "X 헤드 앤 숄더", ts[0], lang=Language.KO))
    ax = fig.axes[0]
    color = SIGNAL_MARKERS[SignalType.HEAD_AND_SHOULDERS][1]
    lines = [ln for ln in ax.get_lines() if to_hex(ln.get_color()) == color]
    swing, neck, target = lines  # the swing points joined, the neckline, the target
    assert list(swing.get_xdata()) == [20, 36, 56, 76, 96]
    assert list(swing.get_ydata()) == [v[f"p{j}"] for j in range(1, 6)]
    end = (events[0].ts - ts[0]).days
    assert list(neck.get_xdata()) == [20, end]
    assert list(neck.get_ydata()) == [v["neck_start"], v["neckline"]]
    assert list(target.get_ydata()) == [v["target"], v["target"]]
    assert f"목표가 {v['target']:,.2f}" in [t.get_text() for t in ax.texts]
    assert (tmp_path / "hs.png").stat().st_size > 10_000
