"""The backtest command end to end, with an in-memory history loader and ratings writer."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from backtest import run_backtest
from backtest.cli import add_arguments, run_command
from backtest.rating import GRADES
from core.errors import SymbolError
from core.types import Bar, Rating, SignalType

REQUIRED = [
    "symbol",
    "signal",
    "horizon",
    "count",
    "hit_rate",
    "mean_return",
    "median_return",
    "baseline_mean",
    "excess",
    "t_stat",
    "worst_mae",
    "grade",
]


class Store:
    """In-memory stand-ins for the database: known histories and saved ratings."""

    def __init__(self, histories: Mapping[str, Sequence[Bar]]) -> None:
        self.histories = histories
        self.saved: list[Rating] = []
        self.loaded: list[tuple[tuple[str, ...], int]] = []

    async def load(self, symbols: Sequence[str], years: int) -> Mapping[str, Sequence[Bar]]:
        self.loaded.append((tuple(symbols), years))
        for s in symbols:
            if s not in self.histories:
                raise SymbolError(s, suggestions=[k for k in self.histories if k[:2] == s[:2]])
        return {s: self.histories[s] for s in symbols}

    async def save(self, ratings: Sequence[Rating]) -> None:
        self.saved.extend(ratings)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="finsignal backtest")
    add_arguments(parser)
    return parser.parse_args(list(argv))


async def run(store: Store, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False, color_system=None)
    code = await run_command(parse(*argv), load_history=store.load, save_ratings=store.save, console=console)
    return code, out.getvalue()


async def test_end_to_end_writes_json_csv_png(goog_bars: list[Bar], tmp_path: Path) -> None:
    store = Store({"GOOG": goog_bars})
    j, c, png = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "chart.png"
    code, text = await run(store, "GOOG", "--json", str(j), "--csv", str(c), "--chart", str(png))
    assert code == 0, text
    assert store.loaded == [(("GOOG",), 10)]
    assert "golden_cross" in text
    assert "buy & hold" in text
    assert "saved 48 ratings" in text  # 16 signal types x 3 horizons

    records = json.loads(j.read_text())
    assert len(records) == len(SignalType) * 3
    assert all(set(REQUIRED) <= set(r) for r in records)
    assert {r["grade"] for r in records} <= set(GRADES)
    want = run_backtest({"GOOG": goog_bars}).records()
    assert [{k: r[k] for k in REQUIRED} for r in records] == [{k: r[k] for k in REQUIRED} for r in want]

    with c.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    assert [h for h in header if h in REQUIRED] == REQUIRED
    assert {"excluded", "period_start", "period_end", "strategy_sharpe", "buy_hold_total_return"} <= set(
        header
    )
    assert [r["grade"] for r in rows] == [r["grade"] for r in records]
    assert float(rows[0]["mean_return"]) == records[0]["mean_return"]

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # two panels with lines and markers

    assert len(store.saved) == 48
    r = store.saved[0]
    assert (r.symbol, r.signal, r.horizon) == ("GOOG", SignalType.BREAKOUT_200, 5)
    assert r.params["horizons"] == [5, 20, 60]
    assert r.params["sma_slow"] == 200
    assert r.period_start.year == 2005
    assert r.period_end.year == 2013


async def test_several_symbols_get_one_chart_each(goog_bars: list[Bar], tmp_path: Path) -> None:
    other = [
        Bar("ALT", b.interval, b.ts, b.open * 2, b.high * 2, b.low * 2, b.close * 2, b.volume)
        for b in goog_bars
    ]
    store = Store({"GOOG": goog_bars, "ALT": other})
    universe = tmp_path / "u.txt"
    universe.write_text("# my universe\nGOOG, ALT\nGOOG\n")
    code, text = await run(
        store,
        "--universe",
        str(universe),
        "--signals",
        "golden_cross,death-cross",
        "--chart",
        str(tmp_path / "c.png"),
    )
    assert code == 0, text
    assert store.loaded == [(("GOOG", "ALT"), 10)]
    assert (tmp_path / "c-GOOG.png").exists()
    assert (tmp_path / "c-ALT.png").exists()
    assert len(store.saved) == 2 * 2 * 3
    # prices scaled by 2 change no return: both symbols get the same statistics
    by = {(r.symbol, r.signal, r.horizon): r for r in store.saved}
    for sig in (SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS):
        assert by[("GOOG", sig, 20)].mean_return == pytest.approx(by[("ALT", sig, 20)].mean_return, rel=1e-12)


async def test_grid_ranks_cells_and_warns(goog_bars: list[Bar]) -> None:
    store = Store({"GOOG": goog_bars})
    code, text = await run(
        store, "GOOG", "--grid", "rsi_overbought=65,70,75;volume_multiple=1.5:2.5:0.5", "--horizons", "20"
    )
    assert code == 0, text
    assert "grid: 9 cells" in text
    assert "rsi_overbought" in text
    assert "volume_spike" in text


async def test_grid_warns_when_the_best_cell_is_small(goog_bars: list[Bar]) -> None:
    store = Store({"GOOG": goog_bars})
    code, text = await run(store, "GOOG", "--grid", "sma_fast=20,30,40", "--signals", "golden_cross")
    assert code == 0, text
    assert "possible overfitting: the best cell rests on only n=" in text.replace("\n", " ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("NOPE",), "unknown symbol: 'NOPE'"),
        ((), "give at least one SYMBOL"),
        (("GOOG", "--horizons", "5,x"), "--horizons"),
        (("GOOG", "--horizons", "0,5"), "positive"),
        (("GOOG", "--signals", "moon_cross"), "unknown signal 'moon_cross'"),
        (("GOOG", "--grid", "rsi=1,2"), "--grid"),
        (("GOOG", "--grid", "rsi_overbought=70;rsi_overbought=80"), "given twice"),
        (("GOOG", "--grid", "sma_fast=10.5"), "whole numbers"),
        (("GOOG", "--years", "0"), "--years"),
        (("GOOG", "--json", "/nonexistent-dir/x.json"), "does not exist"),
        (("--universe", "/nonexistent-file.txt"), "--universe"),
        (("GOOG", "--horizons", "5,20,3000"), "horizon 3000 is not shorter than the 1948 bars"),
        (("SHORT",), "only 150 bars, fewer than the 201"),
        (("EMPTY",), "no bars in the requested period"),
    ],
)
async def test_bad_input_is_a_usage_error(goog_bars: list[Bar], argv: tuple[str, ...], message: str) -> None:
    store = Store({"GOOG": goog_bars, "SHORT": goog_bars[:150], "EMPTY": []})
    code, text = await run(store, *argv)
    assert code == 2
    assert message in text.replace("\n", " ")
    assert store.saved == []


async def test_one_bad_symbol_is_skipped_the_rest_run(goog_bars: list[Bar]) -> None:
    store = Store({"GOOG": goog_bars, "SHORT": goog_bars[:150]})
    code, text = await run(store, "GOOG", "SHORT")
    assert code == 0
    assert "skipped: SHORT: only 150 bars" in text
    assert {r.symbol for r in store.saved} == {"GOOG"}


async def test_universe_skips_unknown_symbols_but_the_command_line_does_not(
    goog_bars: list[Bar], tmp_path: Path
) -> None:
    store = Store({"GOOG": goog_bars})
    universe = tmp_path / "u.txt"
    universe.write_text("GOOG\nNOPE\n")
    code, text = await run(store, "--universe", str(universe), "--signals", "golden_cross")
    assert code == 0, text
    assert "skipped: unknown symbol: 'NOPE'" in text
    assert {r.symbol for r in store.saved} == {"GOOG"}
    code, text = await run(Store({"GOOG": goog_bars}), "GOOG", "NOPE")
    assert code == 2
    assert "unknown symbol: 'NOPE'" in text


async def test_invalid_bar_is_held_out_and_reported(goog_bars: list[Bar]) -> None:
    bad = [*goog_bars[:-1], replace(goog_bars[-1], close=-1.0)]
    store = Store({"GOOG": goog_bars, "BAD": bad})
    code, text = await run(store, "GOOG", "BAD", "--signals", "golden_cross")
    assert code == 0, text
    # a bar with a negative close is held out by the bad-bar rule (core.quality) and said so
    assert f"data BAD: {len(bad)} bars, 1 held out (1 invalid)" in " ".join(text.split())
    assert f"data GOOG: {len(goog_bars)} bars, clean" in text
    assert {r.symbol for r in store.saved} == {"GOOG", "BAD"}


async def test_unwritable_export_still_saves_the_ratings(goog_bars: list[Bar], tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a directory where the JSON file should go
    store = Store({"GOOG": goog_bars})
    code, text = await run(store, "GOOG", "--json", str(target), "--signals", "golden_cross")
    assert code == 1
    assert "cannot write" in text
    assert len(store.saved) == 3
