"""Rendering the combinations study: a rich table for the CLI and a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from backtest.combos import ComboResult, ComboRow
from backtest.report import num, pct

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
