"""The `finsignal` command line: parse, load settings once, run one async command, map errors to exit codes.

Exit codes: 0 ok; 1 runtime failure (database unreachable, source down, ...); 2 usage or configuration
error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, cast

from core.errors import ConfigError, DatabaseUnavailableError, FinsignalError, UsageError

if TYPE_CHECKING:  # settings (pydantic) and every command module load only once a command runs
    from core.settings import Settings

logger = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace, "Settings"], Coroutine[Any, Any, int]]


# name -> (module, function): a command's module is imported only when that command runs, so `run`
# does not carry the fund-flow report's matplotlib, DuckDB and pandas, nor `status` the bot.
_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("finsignal.commands", "cmd_run"),
    "chat": ("finsignal.commands", "cmd_chat"),
    "backtest": ("finsignal.commands", "cmd_backtest"),
    "export-features": ("finsignal.commands", "cmd_export_features"),  # issue 24
    "fetch": ("finsignal.commands", "cmd_fetch"),
    "import-csv": ("finsignal.commands", "cmd_import_csv"),
    "db": ("finsignal.commands", "cmd_db"),
    "status": ("finsignal.commands", "cmd_status"),
    "replay": ("finsignal.commands", "cmd_replay"),
    "flows": ("fundflow.cli", "run"),  # issue 22
    "fundflow": ("fundflow.cli", "run"),  # the first name, kept as an alias
    "apikey": ("finsignal.apikeys", "cmd_apikey"),
    "ask": ("finsignal.ask_cli", "cmd_ask"),  # issue 23
    "archive": ("finsignal.archive", "cmd_archive"),  # issue 20
}


def _command(name: str) -> Command:
    module, attr = _COMMANDS[name]
    return cast(Command, getattr(importlib.import_module(module), attr))


# --- fund-flow tracker (issue #22) ---------------------------------------------------------------
def _add_fundflow_parser(sub: Any, full: bool = True) -> None:
    if not full:
        sub.add_parser("flows", aliases=["fundflow"], help="cross-market fund flows: collect, status, report")
        return
    from fundflow.cli import add_arguments

    add_arguments(
        sub.add_parser(
            "flows", aliases=["fundflow"], help="cross-market fund flows: collect, status, report, export"
        )
    )


# --- end fund-flow tracker -----------------------------------------------------------------------


# Subcommands whose arguments come from heavy modules (numba, matplotlib, storage): `build_parser(only=…)`
# defines their arguments only when that command is the one run, so `finsignal --help` imports none.
_HEAVY_HELP = {
    "backtest": "rate every signal type on history (admin)",
    "export-features": "write per-bar indicators, signal flags and forward-return targets as Parquet",
    "api": "serve the Market Data API and the dashboard (uvicorn)",
    "apikey": "API keys: create, list, revoke",
    "ask": "ask in plain words (Korean or English): SQL, a table and a chart",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only`, the arguments of other heavy subcommands are left out (their
    names and one-line help stay, so the top-level help is complete)."""

    def full(name: str) -> bool:
        return only is None or only == name

    parser = argparse.ArgumentParser(
        prog="finsignal",
        description="Market signal alerts for Telegram: SMA200 breaks, crosses, RSI, volume spikes.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot and the scheduler (console mode when no token is set)")
    run.add_argument(
        "--role", choices=["all", "bot", "scheduler", "api", "collector"], help="run only part (scale-out)"
    )
    run.add_argument("--console", action="store_true", help="force console mode even with a token")

    sub.add_parser("chat", help="console mode: type bot commands in the terminal, see replies and alerts")

    bt = sub.add_parser("backtest", help=_HEAVY_HELP["backtest"])
    if full("backtest"):
        from backtest.cli import add_arguments as add_backtest_arguments

        add_backtest_arguments(bt)

    ef = sub.add_parser("export-features", help=_HEAVY_HELP["export-features"])
    if full("export-features"):
        from backtest.features_cli import add_arguments as add_features_arguments

        add_features_arguments(ef)

    fetch = sub.add_parser("fetch", help="load price history for symbols into the database")
    fetch.add_argument("symbols", nargs="+", metavar="SYMBOL")
    fetch.add_argument("--years", type=_positive_int, default=10, help="years of history (default 10)")
    fetch.add_argument(
        "--interval", choices=["1d", "1m", "5m", "15m"], default="1d", help="bar interval (default 1d)"
    )
    fetch.add_argument(
        "--days", type=_positive_int, default=30, help="days of intraday history (default 30; 1m/5m/15m only)"
    )

    imp = sub.add_parser(
        "import-csv", help="load daily bars from CSV files (Date,Close[,Open,High,Low,Volume,Adj Close])"
    )
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--symbol", help="symbol for the bars (default: from each file name, e.g. AAPL.csv)")
    imp.add_argument(
        "--date-format",
        default=None,
        help="date format when dates read two ways, e.g. MM/DD/YYYY or DD/MM/YYYY (default: detected)",
    )
    imp.add_argument("--json", action="store_true", help="print stored/rejected/repaired counts as JSON")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations (also done at start-up)")

    status = sub.add_parser("status", help="health: database, sources and breakers, jobs, outbox, CPU/memory")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    status.add_argument("--check", action="store_true", help="exit 0 if the database answers (healthcheck)")

    replay = sub.add_parser("replay", help="feed stored history through the live path to see past alerts")
    replay.add_argument("symbols", nargs="+", metavar="SYMBOL")
    replay.add_argument("--from", dest="start", required=True, type=_date, help="first date (YYYY-MM-DD)")
    replay.add_argument("--to", dest="end", type=_date, help="last date (default: latest stored)")
    replay.add_argument("--speed", type=float, default=0.0, help="bars per second (0 = as fast as possible)")
    replay.add_argument("--telegram", type=int, metavar="CHAT_ID", help="send the alerts to this chat")
    _add_fundflow_parser(sub, full("flows") or full("fundflow"))
    arc = sub.add_parser("archive", help="move bars older than an age to monthly Parquet files (cold tier)")
    arc.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 400d, 18m, 2y (whole months)")
    arc.add_argument("--json", action="store_true", help="print the report as JSON")
    if full("api") or full("apikey"):
        from finsignal.apikeys import add_arguments as add_api_arguments

        add_api_arguments(sub)
    else:
        sub.add_parser("api", help=_HEAVY_HELP["api"])
        sub.add_parser("apikey", help=_HEAVY_HELP["apikey"])
    if full("ask"):
        from finsignal.ask_cli import add_arguments as add_ask_arguments

        add_ask_arguments(sub)
    else:
        sub.add_parser("ask", help=_HEAVY_HELP["ask"])
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def _date(text: str) -> object:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _serve_api(args: argparse.Namespace, settings: Settings) -> int:
    """`finsignal api` and `finsignal run --role api`: uvicorn runs the process (and its workers)."""
    from finsignal.apikeys import cmd_api

    if args.command == "run":
        args = argparse.Namespace(host=None, port=None, workers=1)
    return cmd_api(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), "")
    args = build_parser(only=command).parse_args(words)
    import asyncio

    from core.settings import load_settings
    from finsignal.logs import configure_logging

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"finsignal: configuration error: {exc}", file=sys.stderr)
        return 2
    secrets = settings.secret_values()
    configure_logging("DEBUG" if args.verbose else settings.log_level, secrets)
    try:
        if args.command == "api" or (args.command == "run" and (args.role or settings.role) == "api"):
            return _serve_api(args, settings)
        if args.command == "status" and args.check:  # the health check: fast, storage only
            from finsignal.health import quick_check

            return 0 if quick_check(settings) else 1
        return asyncio.run(_command(args.command)(args, settings))
    except UsageError as exc:
        print(f"finsignal {args.command}: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"finsignal: configuration error: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailableError as exc:
        print(f"finsignal: database unavailable: {exc}", file=sys.stderr)
        return 1
    except FinsignalError as exc:
        print(f"finsignal {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
