"""`finsignal flows collect|status|report|export` (alias `fundflow`): arguments and output only; the work
is in `service`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.settings import Settings
from core.timeutil import SystemClock
from fundflow import service
from fundflow.catalogue import load_series
from fundflow.report import to_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="fundflow_command", required=True, metavar="ACTION")
    col = sub.add_parser(
        "collect", help="fetch the missing months of every series (resumes where it stopped)"
    )
    col.add_argument("--years", type=int, default=10, help="years of monthly history (default 10)")
    col.add_argument(
        "--markets", nargs="+", metavar="MARKET", help="only these markets (stocks bonds fx ...)"
    )
    sub.add_parser("status", help="last month stored per series, rows per market, gaps")
    rep = sub.add_parser("report", help="the text summary, a chart PNG and a Markdown file")
    rep.add_argument("--lang", choices=["ko", "en"], default="en")
    rep.add_argument("--chart", type=Path, help="chart PNG path (default: <fundflow_dir>/report.png)")
    rep.add_argument("--json", dest="json_out", type=Path, help="also write the figures as JSON here")
    exp = sub.add_parser("export", help="every stored row as CSV, for spreadsheets")
    exp.add_argument(
        "--csv", nargs="?", const="-", default="-", metavar="OUT", help="output CSV path (default: stdout)"
    )
    rep.add_argument("--markdown", type=Path, help="Markdown path (default: <fundflow_dir>/report.<lang>.md)")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.fundflow_command == "collect":
        return await _collect(args, settings)
    if args.fundflow_command == "status":
        st = service.status(settings)
        for key, month in sorted(st.last_month.items()):
            print(f"{key:28} {month:%Y-%m}")
        for key in st.missing:
            print(f"{key:28} not collected")
        print("rows: " + ", ".join(f"{m}={n}" for m, n in sorted(st.rows.items())))
        for key, months in sorted(st.gaps.items()):
            print(f"gap {key}: {', '.join(f'{m:%Y-%m}' for m in months)}")
        return 0
    if args.fundflow_command == "export":
        if args.csv == "-":
            service.export_csv(settings, sys.stdout)
            return 0
        count = service.export_csv(settings, Path(args.csv))
        print(f"wrote {count} rows to {args.csv}")
        return 0
    chart = args.chart or settings.fundflow_dir / "report.png"
    markdown = args.markdown or settings.fundflow_dir / f"report.{args.lang}.md"
    text, summary = service.report(settings, lang=args.lang, chart=chart, markdown=markdown)
    print(text, end="")
    if args.json_out is not None:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(to_json(summary), ensure_ascii=False, indent=1), encoding="utf-8")
    if summary.last is not None:
        print(f"\nchart: {chart}\nmarkdown: {markdown}")
    return 0


async def _collect(args: argparse.Namespace, settings: Settings) -> int:
    from rich.progress import Progress

    specs = service.select(load_series(), args.markets)
    with Progress(transient=True) as progress:
        task = progress.add_task("collecting", total=len(specs))
        result = await service.collect(
            settings,
            SystemClock(),
            years=args.years,
            markets=args.markets,
            on_done=lambda key: progress.advance(task),
        )
    print(
        f"stored {sum(result.stored.values())} months in {len(result.stored)} series; "
        f"{len(result.up_to_date)} up to date; {len(result.failed)} failed"
    )
    for key, reason in sorted(result.failed.items()):
        print(f"  failed {key}: {reason}")
    return 1 if result.failed and not result.stored and not result.up_to_date else 0
