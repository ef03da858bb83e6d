"""The backtest chart: one marker shape per signal type (as in /chart), names people read, legends
beside the data rather than over it."""

from __future__ import annotations

from pathlib import Path

from matplotlib.collections import PathCollection

from backtest.chart import draw_chart
from backtest.runner import run_backtest
from core.types import Bar


def test_backtest_chart_markers_and_legends(goog_bars: list[Bar], tmp_path: Path) -> None:
    result = run_backtest({"GOOG": goog_bars}, keep_series=True)
    fig = draw_chart(result, "GOOG", tmp_path / "bt.png")
    assert (tmp_path / "bt.png").read_bytes().startswith(b"\x89PNG")
    top, bottom = fig.axes
    shapes = {
        c.get_label(): c.get_paths()[0].vertices.round(3).tobytes()
        for c in top.collections
        if isinstance(c, PathCollection)
    }
    assert {"Golden cross", "SMA 200 breakout", "Death cross", "SMA 200 breakdown"} <= set(shapes)
    assert len(set(shapes.values())) == len(shapes)  # breakout ▲ and golden cross ★ no longer alike
    fig.canvas.draw()
    for ax in (top, bottom):
        legend = ax.get_legend()
        assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # beside, not over the data
    assert "Buy & hold" in [t.get_text() for t in bottom.get_legend().get_texts()]
