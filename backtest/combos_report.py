"""Rendering the combinations study: a rich table for the CLI and a JSON file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from backtest.combos import ComboResult, ComboRow
from backtest.report import num, pct
from core.combostudy import ComboRating, ComboStudy

SHOWN = 20  # rows of the table beyond the discovered ones


def combos_path(json_out: Path) -> Path:
    """Where --json OUT puts the combinations: OUT-combinations.json beside it."""
    return json_out.with_name(f"{json_out.stem}-combinations{json_out.suffix or '.json'}")


def _p(x: float) -> str:
    if x >= 1.0:
        return "-"
    return f"{x:.3g}" if x > 0.0 else "<1e-300"


def combos_table(result: ComboResult) -> Table:
    table = Table(
        title=f"combinations within {result.window} bars: {result.tried} tried (pairs x horizons), "
        f"{len(result.discovered)} found in sample, {len(result.confirmed)} confirmed out of sample "
        f"(Benjamini-Hochberg, FDR {result.fdr:g})",
        caption="in sample = first 70% of each history, out of sample = last 30%; excess over the baseline, "
        "direction-adjusted; p one-sided",
    )
    for col in (
        "combination",
        "h",
        "n in",
        "excess in",
        "p in",
        "n out",
        "excess out",
        "t out",
        "p out",
        "status",
    ):
        table.add_column(col, justify="left" if col in ("combination", "status") else "right")
    rows = [r for r in result.rows if r.discovered]
    rows += [r for r in result.rows if not r.discovered][: max(0, SHOWN - len(rows))]
    for r in rows:
        table.add_row(
            r.combo.name, str(r.horizon), str(r.discovery.count), pct(r.discovery.excess),
            _p(r.discovery.p_value), str(r.confirmation.count), pct(r.confirmation.excess),
            num(r.confirmation.t_stat), _p(r.confirmation.p_value), _status(r),
        )  # fmt: skip
    return table


def _status(r: ComboRow) -> str:
    if r.confirmed:
        return "[bold green]confirmed[/]"
    if r.discovered:
        return "[yellow]not confirmed out of sample[/]"
    return "[dim]not found in sample[/]"


def print_combinations(result: ComboResult, console: Console) -> None:
    console.print(combos_table(result))
    if result.confirmed:
        names = ", ".join(dict.fromkeys(r.combo.name for r in result.confirmed))
        console.print(f"confirmed: {names} (watch with /watch SYMBOL {result.confirmed[0].combo.name})")
    else:
        console.print(f"no combination confirmed out of sample ({result.tried} tried)")


def write_combinations(result: ComboResult, path: Path) -> None:
    doc = {
        "window": result.window,
        "fdr": result.fdr,
        "tried": result.tried,
        "discovered": len(result.discovered),
        "confirmed": [r.combo.name for r in result.confirmed],
        "rows": [r.as_dict() for r in result.rows],
    }
    path.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def combo_study(result: ComboResult, symbols: int, finished: datetime) -> ComboStudy:
    """What is stored for the bot and the live engine: each confirmed combination at its horizon of
    lowest out-of-sample p (ties: the shorter horizon)."""
    best: dict[str, ComboRow] = {}
    for r in result.confirmed:
        name = r.combo.name
        old = best.get(name)
        if old is None or (r.confirmation.p_value, r.horizon) < (old.confirmation.p_value, old.horizon):
            best[name] = r
    rated = tuple(
        ComboRating(
            name=name,
            horizon=r.horizon,
            count=r.confirmation.count,
            excess=float(r.confirmation.excess or 0.0),
            p_value=float(r.confirmation.p_value),
            in_sample_count=r.discovery.count,
        )
        for name, r in sorted(best.items())
    )
    return ComboStudy(tried=result.tried, window=result.window, symbols=symbols, finished=finished,
                      confirmed=rated)  # fmt: skip
