"""Rendering results: rich tables for the CLI, short plain text for the bot, JSON and CSV files."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from rich.table import Table

from backtest.rating import INSUFFICIENT, rating_line
from backtest.result import BacktestResult
from core.labels import SIGNAL_NAMES

_GRADE_STYLE = {"A": "bold green", "B": "green", "C": "yellow", "D": "white", "F": "red", INSUFFICIENT: "dim"}


def pct(x: float | None, digits: int = 1) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x * 100:+.{digits}f}%"


def num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def instrument_table(result: BacktestResult, symbol: str) -> Table:
    """Event-study statistics of one symbol: a row per (signal, horizon)."""
    j = result.symbols.index(symbol)
    table = Table(
        title=f"{symbol}  {result.period_start[j]:%Y-%m-%d} .. {result.period_end[j]:%Y-%m-%d} "
        f"({result.period_bars[j]} bars)",
        caption="returns direction-adjusted (positive = the signal was right); "
        "excl = forward window past the data; DD = max drawdown within the holding period; "
        "ret/risk = mean / |med DD|",
    )
    for col in (
        "signal",
        "h",
        "n",
        "excl",
        "hit",
        "mean",
        "median",
        "baseline",
        "excess",
        "t",
        "worst MAE",
        "sd",
        "med DD",
        "worst DD",
        "ret/risk",
        "grade",
    ):
        table.add_column(col, justify="left" if col in ("signal", "grade") else "right")
    for rec in result.records():
        if rec["symbol"] != symbol:
            continue
        g = rec["grade"]
        table.add_row(
            rec["signal"], str(rec["horizon"]), str(rec["count"]), str(rec["excluded"]),
            "-" if rec["hit_rate"] is None else f"{rec['hit_rate'] * 100:.0f}%",
            pct(rec["mean_return"]), pct(rec["median_return"]), pct(rec["baseline_mean"]),
            pct(rec["excess"]), num(rec["t_stat"]), pct(rec["worst_mae"]), pct(rec["sd_return"]),
            pct(rec["median_drawdown"]), pct(rec["worst_drawdown"]), num(rec["return_risk"]),
            f"[{_GRADE_STYLE[g]}]{g}[/]",
        )  # fmt: skip
    return table


def strategy_table(result: BacktestResult, symbol: str) -> Table:
    """Strategy view of one symbol: a row per signal and buy-and-hold."""
    table = Table(
        title=f"{symbol}  strategy: next open, exit after {result.options.hold} bars or opposite signal"
    )
    for col in ("strategy", "trades", "total", "CAGR", "Sharpe", "max DD", "exposure", "win rate"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    rows = [(sig.value, result.strategy[(symbol, sig)]) for sig in result.signals]
    rows.append(("buy & hold", result.buy_hold[symbol]))
    for name, s in rows:
        table.add_row(
            name, str(s.trades), pct(s.total_return), pct(s.cagr), num(s.sharpe), pct(s.max_drawdown),
            f"{s.exposure * 100:.0f}%", "-" if s.win_rate is None else f"{s.win_rate * 100:.0f}%",
        )  # fmt: skip
    return table


def summary_table(result: BacktestResult, *, limit: int = 30) -> Table:
    """The best-graded (symbol, signal, horizon) rows of a large run, by t-statistic."""
    recs = [r for r in result.records() if r["grade"] != INSUFFICIENT and r["t_stat"] is not None]
    recs.sort(key=lambda r: -r["t_stat"])
    table = Table(title=f"top {min(limit, len(recs))} of {len(result.records())} results by t-statistic")
    for col in ("symbol", "signal", "h", "n", "hit", "excess", "t", "grade"):
        table.add_column(col, justify="left" if col in ("symbol", "signal", "grade") else "right")
    for r in recs[:limit]:
        hit = f"{r['hit_rate'] * 100:.0f}%"
        table.add_row(r["symbol"], r["signal"], str(r["horizon"]), str(r["count"]), hit, pct(r["excess"]),
                      num(r["t_stat"]), r["grade"])  # fmt: skip
    return table


def render_text(result: BacktestResult, symbol: str, lang: str = "en") -> str:
    """Short plain text for the bot's /backtest reply: one line per signal at the middle horizon."""
    if lang not in SIGNAL_NAMES:
        raise ValueError(f"lang must be 'en' or 'ko', got {lang!r}")
    if symbol not in result.symbols:
        raise KeyError(f"{symbol!r} is not in this result")
    j = result.symbols.index(symbol)
    horizon = result.horizons[len(result.horizons) // 2]
    ratings = {(r.signal, r.horizon): r for r in result.ratings() if r.symbol == symbol}
    start, end = result.period_start[j], result.period_end[j]
    head = (
        f"{symbol} 백테스트 {start:%Y-%m-%d}~{end:%Y-%m-%d}"
        if lang == "ko"
        else f"{symbol} backtest {start:%Y-%m-%d}..{end:%Y-%m-%d}"
    )
    lines = [head]
    for sig in result.signals:
        lines.append(f"- {SIGNAL_NAMES[lang][sig]}: {rating_line(ratings[(sig, horizon)], lang)}")
    bh = result.buy_hold[symbol]
    best = max(result.signals, key=lambda s: result.strategy[(symbol, s)].total_return)
    st = result.strategy[(symbol, best)]
    if lang == "ko":
        lines.append(
            f"최고 전략 {SIGNAL_NAMES[lang][best]}: {pct(st.total_return, 0)} "
            f"(매수 후 보유 {pct(bh.total_return, 0)})"
        )
    else:
        lines.append(f"best strategy {SIGNAL_NAMES[lang][best]}: {pct(st.total_return, 0)} "
                     f"(buy & hold {pct(bh.total_return, 0)})")  # fmt: skip
    return "\n".join(lines)


def write_json(result: BacktestResult, path: Path) -> None:
    """The records as a JSON array (one object per symbol, signal, horizon)."""
    path.write_text(json.dumps(result.records(), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_csv(result: BacktestResult, path: Path) -> None:
    """The records as CSV with a header row; empty cells for missing values."""
    records = result.records()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]) if records else ["symbol"])
        writer.writeheader()
        for rec in records:
            writer.writerow({k: "" if v is None else v for k, v in rec.items()})
