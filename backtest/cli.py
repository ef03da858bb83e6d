"""The admin command `finsignal backtest`: argument parsing and the command's logic.

The composition root adds the arguments to its sub-parser and calls `run_command` with a history
loader (database first, fetching what is missing) and a ratings writer (RatingRepo).
`load_history(symbols, years)` should return daily bars covering the last `years` years plus
about one more year: bars before the study period only warm the indicators up (SMA 200), so a
loader returning exactly `years` years yields a period ~200 bars shorter. It raises
core.errors.SymbolError for an unknown symbol (exit status 2); other FinsignalErrors exit with 1.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backtest.chart import draw_chart
from backtest.combos import run_combinations
from backtest.combos_report import combo_study, combos_path, print_combinations, write_combinations
from backtest.data import build_panel
from backtest.flows import join_flows
from backtest.grid import GRID_HELP, GridResult, parse_grid, run_grid
from backtest.rating import DEFAULT_MIN_COUNT
from backtest.report import instrument_table, num, pct, strategy_table, summary_table, write_csv, write_json
from backtest.result import BacktestResult, Options
from backtest.runner import DEFAULT_HOLD, check_panel, run_arrays
from backtest.tradable import BASES, DEFAULT_BASIS, NO_VOLUME
from core.combostudy import ComboStudy
from core.errors import FinsignalError, SymbolError, UsageError
from core.quality import QualityRules
from core.types import PRICE_SIGNALS, Bar, InvestorFlow, Rating, SignalType
from signals import SignalConfig
from signals.combos import DEFAULT_WINDOW

logger = logging.getLogger(__name__)

LoadHistory = Callable[[Sequence[str], int], Awaitable[Mapping[str, Sequence[Bar]]]]
SaveRatings = Callable[[Sequence[Rating]], Awaitable[None]]
LoadFlows = Callable[[Sequence[str]], Awaitable[Mapping[str, Sequence[InvestorFlow]]]]
SaveComboStudy = Callable[[ComboStudy], Awaitable[None]]
MAX_TABLES = 20  # per-instrument tables and charts up to this many symbols; a summary above
UNIVERSE_WORKERS_FROM = 300  # --workers 0 (auto) uses every core from this many symbols on


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the backtest command's arguments to `parser`."""
    parser.add_argument(
        "symbols", nargs="*", metavar="SYMBOL", help="instruments to backtest, e.g. FCO2.DE 005930.KS"
    )
    parser.add_argument("--years", type=int, default=10, help="years of history to study (default 10)")
    parser.add_argument(
        "--horizons", default="5,20,60", help="forward horizons in trading days (default 5,20,60)"
    )
    parser.add_argument(
        "--signals", default=None, help="comma list of signal types (default all): " + ", ".join(SignalType)
    )
    parser.add_argument("--grid", default=None, metavar="SPEC", help=GRID_HELP)
    parser.add_argument(
        "--universe",
        type=Path,
        default=None,
        metavar="FILE",
        help="file of symbols (one per line or comma separated; '#' starts a comment)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, metavar="OUT", help="write one record per result as JSON"
    )
    parser.add_argument("--csv", type=Path, default=None, metavar="OUT", help="write the same records as CSV")
    parser.add_argument(
        "--chart",
        type=Path,
        default=None,
        metavar="OUT.png",
        help="PNG chart (one file per symbol, named OUT-SYMBOL.png, when several)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help=f"processes (default 0: all cores from {UNIVERSE_WORKERS_FROM} symbols on)",
    )
    parser.add_argument(
        "--hold",
        type=int,
        default=DEFAULT_HOLD,
        help=f"strategy view: bars to hold a position (default {DEFAULT_HOLD})",
    )
    parser.add_argument(
        "--basis",
        choices=BASES,
        default=DEFAULT_BASIS,
        help="forward returns from the next bar's open (default: what an alert's reader can get) or "
        "from the signal bar's close",
    )
    parser.add_argument(
        "--combinations",
        action="store_true",
        help="also rate pairs of signal types firing within --window bars of each other: found on the "
        "first 70%% of each history, confirmed on the last 30%% (Benjamini-Hochberg across all pairs tried)",
    )
    parser.add_argument(
        "--window", type=int, default=DEFAULT_WINDOW, help=f"--combinations: bars between the two signals "
        f"(default {DEFAULT_WINDOW})",
    )  # fmt: skip
    parser.add_argument(
        "--min-count",
        type=int,
        default=DEFAULT_MIN_COUNT,
        help=f"events needed for a grade (default {DEFAULT_MIN_COUNT})",
    )


def _horizons(text: str) -> tuple[int, ...]:
    try:
        values = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise UsageError(f"--horizons: expected whole numbers like 5,20,60, got {text!r}") from None
    if not values or min(values) < 1:
        raise UsageError(f"--horizons: expected positive whole numbers like 5,20,60, got {text!r}")
    return tuple(sorted(set(values)))


def _signals(text: str | None) -> tuple[SignalType, ...] | None:
    if not text:
        return None
    out = []
    for name in text.replace(" ", "").split(","):
        if not name:
            continue
        try:
            out.append(SignalType(name.lower().replace("-", "_")))
        except ValueError:
            raise UsageError(
                f"--signals: unknown signal {name!r}; choose from {', '.join(SignalType)}"
            ) from None
    return tuple(dict.fromkeys(out)) or None


def _symbols(args: argparse.Namespace) -> list[str]:
    found = [s.strip() for s in args.symbols if s.strip()]
    if args.universe is not None:
        try:
            text = args.universe.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--universe: cannot read {args.universe}: {exc.strerror or exc}") from None
        for line in text.splitlines():
            found += [s for s in re.split(r"[\s,;]+", line.split("#", 1)[0]) if s]
    if not found:
        raise UsageError("give at least one SYMBOL or --universe FILE")
    return list(dict.fromkeys(found))


def _check_out(path: Path | None, option: str) -> None:
    if path is not None and not path.parent.exists():
        raise UsageError(f"{option}: directory {path.parent} does not exist")


def _chart_path(base: Path, symbol: str, several: bool) -> Path:
    if not several:
        return base
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", symbol)
    return base.with_name(f"{base.stem}-{safe}{base.suffix or '.png'}")


def _grid_table(grid: GridResult, limit: int = 20) -> Table:
    table = Table(
        title=f"grid: {grid.cells} cells, best {min(limit, len(grid.rows))} rows by t (pooled over symbols)"
    )
    names = list(dict.fromkeys(n for r in grid.rows for n in r.params))
    for col in ("#", *names, "signal", "h", "n", "hit", "excess", "t", "grade"):
        table.add_column(col, justify="left" if col in ("signal", "grade") else "right")
    for rank, r in enumerate(grid.rows[:limit], 1):
        hit = "-" if r.hit_rate is None else f"{r.hit_rate * 100:.0f}%"
        table.add_row(
            str(rank),
            *(f"{r.params[n]:g}" if n in r.params else "-" for n in names),
            r.signal.value,
            str(r.horizon),
            str(r.count),
            hit,
            pct(r.excess),
            num(r.t_stat),
            r.grade,
        )
    return table


def _print_quality(result: BacktestResult, console: Console) -> None:
    """What the bad-bar rule changed or held out, per symbol, and the basis of the returns."""
    console.print(f"returns from: {result.options.basis} (--basis close|next_open)")
    for q, sym in zip(result.quality, result.symbols, strict=False):
        extra = f"; {NO_VOLUME}" if result.price_only(sym) else ""
        console.print(f"data {sym}: {q.bars_in} bars, {q.summary()}{extra}", highlight=False)


async def _load(
    load_history: LoadHistory, symbols: list[str], args: argparse.Namespace, console: Console
) -> Mapping[str, Sequence[Bar]]:
    """Load histories; in a --universe run an unknown symbol is skipped, otherwise it is an error."""
    wanted = list(symbols)
    while True:
        try:
            with console.status(f"loading {len(wanted)} histories ({args.years}y)..."):
                return await load_history(wanted, args.years)
        except SymbolError as exc:
            if args.universe is None or exc.symbol not in wanted or len(wanted) == 1:
                raise
            console.print(f"[yellow]skipped:[/] {exc}")
            wanted.remove(exc.symbol)


async def run_command(
    args: argparse.Namespace,
    *,
    load_history: LoadHistory,
    save_ratings: SaveRatings,
    console: Console,
    config: SignalConfig | None = None,
    quality: QualityRules | None = None,
    load_flows: LoadFlows | None = None,
    save_combos: SaveComboStudy | None = None,
) -> int:
    """Run `finsignal backtest`. Returns the exit status: 0 ok, 2 usage errors, 1 other failures."""
    try:
        return await _run(args, load_history, save_ratings, console, config or SignalConfig(),
                          quality or QualityRules(), load_flows, save_combos)  # fmt: skip
    except UsageError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except FinsignalError as exc:
        console.print(f"[red]failed:[/] {exc}")
        logger.warning("backtest command failed: %s", exc)
        return 1


async def _run(
    args: argparse.Namespace,
    load_history: LoadHistory,
    save_ratings: SaveRatings,
    console: Console,
    config: SignalConfig,
    quality: QualityRules,
    load_flows: LoadFlows | None = None,
    save_combos: SaveComboStudy | None = None,
) -> int:
    horizons = _horizons(args.horizons)
    signals = _signals(args.signals)
    grid = parse_grid(args.grid) if args.grid else None
    symbols = _symbols(args)
    if args.years < 1:
        raise UsageError(f"--years must be at least 1, got {args.years}")
    if getattr(args, "window", DEFAULT_WINDOW) < 0:
        raise UsageError(f"--window must be 0 or more bars, got {args.window}")
    if args.hold < 1 or args.min_count < 1:
        raise UsageError("--hold and --min-count must be at least 1")
    for path, option in ((args.json, "--json"), (args.csv, "--csv"), (args.chart, "--chart")):
        _check_out(path, option)

    history = await _load(load_history, symbols, args, console)
    # the loader keys histories by canonical symbol ("005930" -> "005930.KS"); keep its keys, so ratings
    # are stored under the symbol alerts look them up by
    bars: dict[str, Sequence[Bar]] = dict(history)
    if len(bars) < len(symbols):
        bars.update({s: () for s in symbols if s not in history})
    problems = {
        s: f"{s}: no bars in the requested period (last {args.years} years)" for s, b in bars.items() if not b
    }
    bars = {s: b for s, b in bars.items() if b}
    invalid: dict[str, str] = {}
    panel = await asyncio.to_thread(build_panel, bars, invalid=invalid, rules=quality) if bars else None
    problems.update(invalid)
    if panel is not None:
        problems.update(check_panel(panel, config=config, horizons=horizons, years=args.years))
    for msg in problems.values():
        console.print(f"[yellow]skipped:[/] {msg}")
    bars = {s: b for s, b in bars.items() if s not in problems}
    if not bars or panel is None:
        raise UsageError("no symbol has enough usable history to backtest")
    if any(s in problems for s in panel.symbols):
        panel = panel.take([j for j, s in enumerate(panel.symbols) if s not in problems])
    if load_flows is not None:  # investor flows of Korean stocks, for the flow signals
        flows = await load_flows(list(panel.symbols))
        if flows:
            panel = join_flows(panel, flows)

    several = len(bars) > 1
    keep = args.chart is not None and len(bars) <= MAX_TABLES
    if args.chart is not None and not keep:
        console.print(
            f"[yellow]note:[/] charts are drawn for runs of up to {MAX_TABLES} symbols; no chart written"
        )
    workers = args.workers or ((os.cpu_count() or 1) if len(bars) >= UNIVERSE_WORKERS_FROM else 1)
    basis = getattr(args, "basis", DEFAULT_BASIS)
    every = tuple(SignalType) if panel.foreign is not None else PRICE_SIGNALS
    opts = Options(config, horizons, signals or every, float(args.years), args.min_count,
                   args.hold, keep, basis)  # fmt: skip

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("backtesting", total=len(bars))
        result: BacktestResult = await asyncio.to_thread(
            run_arrays, panel, opts, workers=workers, progress=lambda k: progress.advance(task, k)
        )
        combos = None
        if getattr(args, "combinations", False):
            ctask = progress.add_task("combinations", total=None)
            combos = await asyncio.to_thread(run_combinations, panel, opts, window=args.window)
            progress.update(ctask, total=1, completed=1)
        grid_result = None
        if grid is not None:
            cells = 1
            for values in grid.values():
                cells *= len(values)
            gtask = progress.add_task("grid cells", total=cells)
            grid_result = await asyncio.to_thread(
                run_grid, panel, opts, grid, progress=lambda k: progress.advance(gtask, k)
            )

    _print_quality(result, console)
    if len(bars) <= MAX_TABLES:
        for sym in result.symbols:
            console.print(instrument_table(result, sym))
            console.print(strategy_table(result, sym))
    else:
        console.print(summary_table(result))
    if grid_result is not None:
        console.print(_grid_table(grid_result))
        for note in grid_result.skipped:
            console.print(f"[dim]grid cell skipped: {note}[/]")
        if grid_result.warning:
            console.print(f"[bold yellow]warning:[/] {grid_result.warning}")

    if combos is not None:
        print_combinations(combos, console)

    try:  # files first: they are kept even if the database is down
        for path, write in ((args.json, write_json), (args.csv, write_csv)):
            if path is not None:
                write(result, path)
                console.print(f"wrote {path}")
        if combos is not None and args.json is not None:
            out_c = combos_path(args.json)
            write_combinations(combos, out_c)
            console.print(f"wrote {out_c}")
        if keep:
            for sym in result.symbols:
                out = _chart_path(args.chart, sym, several)
                draw_chart(result, sym, out)
                console.print(f"wrote {out}")
    except OSError as exc:
        console.print(f"[red]failed:[/] cannot write {exc.filename}: {exc.strerror}")
        code = 1
    else:
        code = 0
    ratings = result.ratings()
    await save_ratings(ratings)
    console.print(f"saved {len(ratings)} ratings for {len(result.symbols)} symbol(s)")
    if combos is not None and save_combos is not None:  # what /watch accepts and the alerts rate
        study = combo_study(combos, len(result.symbols), datetime.now(UTC))
        await save_combos(study)
        console.print(f"saved the combinations study: {len(study.confirmed)} confirmed")
    return code
