"""`finsignal ask "QUESTION" [--json] [--chart OUT.png]` (issue 23)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.errors import UsageError
from core.settings import Settings


def add_arguments(sub: Any) -> None:
    ask = sub.add_parser("ask", help="ask in plain words (Korean or English): SQL, a table and a chart")
    ask.add_argument("question", help='e.g. "지난 3개월 KAU25 종가 추이 보여줘" or "Apple close since March"')
    ask.add_argument("--json", action="store_true", help="print {sql, columns, rows} as JSON")
    ask.add_argument("--chart", type=Path, metavar="OUT.png", help="write the chart as PNG")


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Print the answer (sentence, table, SQL) or its JSON; 2 when refused or not understood."""
    from finsignal.container import open_app  # the app opens only when a question is asked

    async with open_app(settings) as app:
        if app.ask is None:
            raise UsageError("questions need a database file or server (not an in-memory SQLite database)")
        answer = await app.ask.ask(args.question)
    if args.json:
        print(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.text)
        if answer.ok and answer.columns:
            print()
            print(answer.table)
            print()
            print(f"SQL: {answer.sql}")
    if args.chart is not None:
        png = answer.chart()
        if png is None:
            if answer.ok:
                print("(this answer has no chart)", file=sys.stderr)
        else:
            args.chart.write_bytes(png)
    return 0 if answer.ok else 2
