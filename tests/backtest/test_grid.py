"""Grid search: parsing, pooling and ranking."""

from __future__ import annotations

import pytest

from backtest import run_backtest
from backtest.data import build_panel
from backtest.grid import parse_grid, run_grid
from backtest.result import Options
from core.errors import UsageError
from core.types import Bar, SignalType
from signals import SignalConfig


def test_parse_grid() -> None:
    assert parse_grid("rsi_overbought=65,70 ; volume_multiple=1.5:3:0.5") == {
        "rsi_overbought": [65.0, 70.0],
        "volume_multiple": [1.5, 2.0, 2.5, 3.0],
    }
    assert parse_grid("sma_fast=20:60:20") == {"sma_fast": [20.0, 40.0, 60.0]}
    for bad in (
        "",
        "rsi=1",
        "rsi_overbought",
        "rsi_overbought=a",
        "rsi_overbought=5:1:1",
        "sma_slow=0",
        "volume_multiple=1:1000:0.1;rsi_period=2:100:1",
    ):
        with pytest.raises(UsageError, match="--grid"):
            parse_grid(bad)


def options(signals: tuple[SignalType, ...]) -> Options:
    return Options(SignalConfig(), (5, 20), signals, 10.0, 10, 20, False)


def test_cells_pool_and_rank(goog_bars: list[Bar]) -> None:
    other = [
        Bar("ALT", b.interval, b.ts, b.open, b.high, b.low, b.close * 1.0, b.volume) for b in goog_bars[300:]
    ]
    bars = {"GOOG": goog_bars, "ALT": other}
    sigs = (SignalType.RSI_OVERBOUGHT, SignalType.RSI_OVERSOLD, SignalType.VOLUME_SPIKE)
    grid = run_grid(build_panel(bars), options(sigs), parse_grid("rsi_overbought=65,70,75"))
    assert grid.cells == 3
    assert grid.skipped == ()
    assert {r.signal for r in grid.rows} == {SignalType.RSI_OVERBOUGHT}  # only what the parameter affects
    assert len(grid.rows) == 3 * 2
    ts = [r.t_stat for r in grid.rows if r.t_stat is not None]
    assert ts == sorted(ts, reverse=True)

    base = run_backtest(bars, horizons=(5, 20), signals=[SignalType.RSI_OVERBOUGHT]).records()
    for h in (5, 20):
        row = next(r for r in grid.rows if r.params == {"rsi_overbought": 70.0} and r.horizon == h)
        per = [r for r in base if r["horizon"] == h]
        n = sum(r["count"] for r in per)
        assert row.count == n
        assert row.mean_return == pytest.approx(
            sum(r["count"] * r["mean_return"] for r in per) / n, rel=1e-12
        )
        assert row.hit_rate == pytest.approx(sum(r["count"] * r["hit_rate"] for r in per) / n, rel=1e-12)


def test_pooled_t_of_one_symbol_equals_its_own(goog_bars: list[Bar]) -> None:
    grid = run_grid(
        build_panel({"GOOG": goog_bars}), options((SignalType.VOLUME_SPIKE,)), parse_grid("volume_multiple=2")
    )
    rec = {
        r["horizon"]: r
        for r in run_backtest(
            {"GOOG": goog_bars}, horizons=(5, 20), signals=[SignalType.VOLUME_SPIKE]
        ).records()
    }
    for row in grid.rows:
        assert row.t_stat == pytest.approx(rec[row.horizon]["t_stat"], rel=1e-10)
        assert row.grade == rec[row.horizon]["grade"]


def test_invalid_cells_are_skipped_and_unaffected_signals_refused(goog_bars: list[Bar]) -> None:
    panel = build_panel({"GOOG": goog_bars})
    grid = run_grid(panel, options((SignalType.RSI_OVERSOLD,)), parse_grid("rsi_oversold=30,80"))
    assert len(grid.skipped) == 1
    assert "rsi_oversold" in grid.skipped[0]
    with pytest.raises(UsageError, match="affect none"):
        run_grid(panel, options((SignalType.GOLDEN_CROSS,)), parse_grid("rsi_oversold=30"))
