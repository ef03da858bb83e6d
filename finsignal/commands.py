"""One async function per CLI command; each opens what it needs and returns an exit code."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.errors import UsageError
from core.quality import quality_rules
from core.settings import Settings
from core.types import Interval
from finsignal.container import open_app
from finsignal.logs import log_to_file_for_console
from storage.urls import mask

logger = logging.getLogger(__name__)


def _console() -> Console:
    """Rich output; piped output gets a wide fixed width so tables are not squeezed to 80 columns."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Bot + scheduler on one event loop; console mode when no token is configured."""
    from finsignal.runtime import run_console, run_service

    role = args.role or settings.role
    if role == "collector" and not args.console:  # no Telegram in the collector (issue 20)
        return await run_service(settings, role=role)
    if args.console or not settings.telegram_enabled:
        log = _console_log(args)
        if not args.console:
            _console().print(
                "[yellow]No FINSIGNAL_TELEGRAM_TOKEN set: starting console mode on "
                f"{mask(settings.database_url)}{log}. Type /help.[/yellow]"
            )
        return await run_console(settings, with_scheduler=True)
    return await run_service(settings, role=role)


def _console_log(args: argparse.Namespace) -> str:
    """Console mode keeps the terminal for the chat: the log goes to var/console.log (not with -v)."""
    if args.verbose:
        return ""
    path = log_to_file_for_console(Path("var") / "console.log")
    return f" (log: {path})" if path is not None else ""


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Console mode: the bot's commands in the terminal, alerts printed as they fire."""
    from finsignal.runtime import run_console

    log = _console_log(args)
    if log:
        _console().print(f"[yellow]Console mode{log}. Type /help.[/yellow]")
    return await run_console(settings, with_scheduler=False)


async def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    from backtest.cli import run_command

    async with open_app(settings) as app:
        return await run_command(
            args, load_history=app.load_history, save_ratings=app.save_ratings, console=_console(),
            load_flows=app.load_flows,
            quality=quality_rules(settings),
            save_combos=app.save_combo_study,
        )  # fmt: skip


async def cmd_export_features(args: argparse.Namespace, settings: Settings) -> int:
    from backtest.features_cli import run_command

    async with open_app(settings) as app:
        return await run_command(
            args, load_history=app.load_history, console=_console(), quality=quality_rules(settings)
        )


async def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    console = _console()
    async with open_app(settings) as app:
        instruments = [await app.market.resolve(s) for s in args.symbols]
        with _progress(console) as progress:
            task = progress.add_task("fetching", total=len(instruments))

            def on_progress(symbol: str, done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, description=symbol)

            interval = Interval(args.interval)
            result = await app.market.fetch_history(
                instruments, years=args.years, progress=on_progress, interval=interval, days=args.days
            )
        for inst in instruments:
            stored = len(result.new_bars.get(inst.symbol, []))
            last = await app.repos.bars.last_bar(inst.symbol, interval)
            when = "%Y-%m-%d" if interval == Interval.D1 else "%Y-%m-%d %H:%M UTC"
            last_txt = f"latest {last.ts:{when}} close {last.close:g}" if last else "no bars stored"
            console.print(f"{inst.symbol:<12} {inst.name[:30]:<30} +{stored} bars  ({last_txt})")
        for symbol, reason in result.failures.items():
            console.print(f"[red]{symbol}: {reason}[/red]")
        return 1 if result.failures and len(result.failures) == len(instruments) else 0


async def cmd_import_csv(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every file stored bars, 1 when a file stored none; --json prints the outcomes."""
    console = _console()
    paths = [Path(f) for f in args.files]
    for path in paths:
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
    outcomes = []
    async with open_app(settings) as app:
        for path in paths:
            symbol = args.symbol or path.stem.upper()
            fmt = getattr(args, "date_format", None)
            outcome = await app.market.import_csv(path, symbol, date_format=fmt)
            outcomes.append(outcome)
            if not getattr(args, "json", False):
                console.print(outcome.summary(), highlight=False)
                for why, n in outcome.reasons.items():
                    console.print(f"  {n} x {why}", highlight=False)
                if outcome.stored == 0:
                    console.print(f"[red]{path.name}: nothing stored[/red]")
    if getattr(args, "json", False):
        print(json.dumps([o.as_dict() for o in outcomes], indent=2))
    return 1 if any(o.stored == 0 for o in outcomes) else 0


async def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from storage import Database

    db = await Database.open(settings.database_url, migrate=False)
    try:
        await db.upgrade()
        _console().print(f"database at {mask(settings.database_url)} is up to date")
    finally:
        await db.close()
    return 0


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from finsignal.health import collect_status

    report = await collect_status(settings)
    if getattr(args, "check", False):
        return 0 if report.get("database", {}).get("ok") else 1
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        _print_status(_console(), report)
    return 0 if report.get("database", {}).get("ok") else 1


async def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    from finsignal.replaying import run_replay

    return await run_replay(args, settings, _console())


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _print_status(console: Console, report: dict[str, Any]) -> None:
    db = report.get("database", {})
    console.print(
        f"[bold]database[/bold] {db.get('url')} {'ok' if db.get('ok') else 'DOWN: ' + str(db.get('error'))}"
    )
    for title, rows in (("sources", report.get("sources", [])), ("jobs", report.get("jobs", []))):
        if not rows:
            console.print(f"[bold]{title}[/bold] none recorded yet")
            continue
        table = Table(title=title)
        for key in rows[0]:
            table.add_column(str(key))
        for row in rows:
            table.add_row(*(str(v) for v in row.values()))
        console.print(table)
    for key in ("outbox_pending", "instruments", "watched_symbols", "chats", "minute_check", "process"):
        if key in report:
            console.print(f"[bold]{key}[/bold] {report[key]}")
