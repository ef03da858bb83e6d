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
from tests.ask.labelled import LABELS  # noqa: E402
from tests.ask.oracle import check  # noqa: E402


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/ask.db"
        db = await Database.open(url)
        await F.load(db.repos)
        queries = open_readonly(url, tables=TABLES)
        service = AskService(queries, db.repos)
        totals: dict[str, int] = defaultdict(int)
        misses: dict[str, list[str]] = defaultdict(list)
        sqls: list[str] = []
        started = time.perf_counter()
        for label in LABELS:
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
            await queries.run(sql, max_rows=1000)
        bare = time.perf_counter() - started
        await db.close()
    print(f"{'shape':10} {'right':>5} {'total':>5} {'accuracy':>9}")
    right_all = 0
    for shape, total in totals.items():
        right = total - len(misses[shape])
        right_all += right
        print(f"{shape:10} {right:5d} {total:5d} {right / total:9.1%}")
    print(f"{'all':10} {right_all:5d} {len(LABELS):5d} {right_all / len(LABELS):9.1%}")
    for shape, lines in misses.items():
        if not lines:
            continue
        print(f"wrong ({shape}):")
        print("\n".join(lines))
    print(
        f"time per question: {asked / len(LABELS) * 1000:.1f} ms end to end; "
        f"reference (the same SQL run bare, read-only): {bare / max(1, len(sqls)) * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
