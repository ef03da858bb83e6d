"""Accuracy of the offline question interpreter on the labelled set, per shape, with the misses listed.

    .venv/bin/python bench/ask.py

Loads the fixture data (tests/ask/fixture_data.py) into a temporary SQLite file, asks every labelled
question (tests/ask/labelled.py) through the real AskService (interpreter -> guard -> read-only
connection), and checks each answer against tests/ask/oracle.py. Also prints the time per question
against a reference measured in the same run: the bare read-only query of the same SQL (so the figure
shows what interpreting, guarding and phrasing add on top of the database).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ask.schema import TABLES  # noqa: E402
from ask.service import AskService  # noqa: E402
from storage import Database  # noqa: E402
from storage.readonly import open_readonly  # noqa: E402
from tests.ask import fixture_data as F  # noqa: E402
from tests.ask.holdout import HOLDOUT  # noqa: E402
from tests.ask.labelled import LABELS, Label  # noqa: E402
from tests.ask.oracle import check  # noqa: E402


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/ask.db"
        db = await Database.open(url)
        await F.load(db.repos)
        queries = open_readonly(url, tables=TABLES)
        service = AskService(queries, db.repos)
        print("labelled set (tests/ask/labelled.py, the set the interpreter was tuned on):")
        await run_set(service, LABELS, timing=True)
        print("\nholdout (tests/ask/holdout.py, written afterwards, never tuned on):")
        await run_set(service, HOLDOUT, timing=False)
        await db.close()
    return 0


async def run_set(service: AskService, labels: list[Label], *, timing: bool) -> None:
    totals: dict[str, int] = defaultdict(int)
    misses: dict[str, list[str]] = defaultdict(list)
    sqls: list[str] = []
    started = time.perf_counter()
    for label in labels:
        answer = await service.ask(label.question, watchlist=F.WATCHLIST, today=F.TODAY)
        totals[label.shape] += 1
        problem = check(label, answer)
        if problem is not None:
            misses[label.shape].append(f"  {label.question!r}: {problem}")
        if answer.sql:
            sqls.append(answer.sql)
    asked = time.perf_counter() - started
    started = time.perf_counter()
    for sql in sqls:
        await service.queries.run(sql, max_rows=1000)
    bare = time.perf_counter() - started
    print(f"{'shape':10} {'right':>5} {'total':>5} {'accuracy':>9}")
    right_all = 0
    for shape, total in totals.items():
        right = total - len(misses[shape])
        right_all += right
        print(f"{shape:10} {right:5d} {total:5d} {right / total:9.1%}")
    print(f"{'all':10} {right_all:5d} {len(labels):5d} {right_all / len(labels):9.1%}")
    for shape, lines in misses.items():
        if lines:
            print(f"wrong ({shape}):")
            print("\n".join(lines))
    if timing:
        print(
            f"time per question: {asked / len(labels) * 1000:.1f} ms end to end; "
            f"reference (the same SQL run bare, read-only): {bare / max(1, len(sqls)) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
