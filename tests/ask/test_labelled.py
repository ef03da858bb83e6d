"""The labelled questions (tests/ask/labelled.py) answered offline on the fixture data, on SQLite and
MariaDB: every shape the interpreter claims must be >= 90% exact, and every miss is listed."""

from __future__ import annotations

from collections import defaultdict

from ask.service import AskService
from tests.ask import fixture_data as F
from tests.ask.labelled import LABELS
from tests.ask.oracle import check

GOAL = 0.9


def test_the_set_is_large_and_covers_every_shape() -> None:
    shapes = {label.shape for label in LABELS}
    assert len(LABELS) >= 150
    assert shapes >= {
        "history",
        "max",
        "min",
        "avg",
        "change",
        "compare",
        "top",
        "signals",
        "ratings",
        "news",
        "flows",
        "flow_top",
    }
    assert any("가" <= ch <= "힣" for label in LABELS for ch in label.question)


async def test_labelled_questions_are_answered_exactly(service: AskService) -> None:
    misses: dict[str, list[str]] = defaultdict(list)
    totals: dict[str, int] = defaultdict(int)
    for label in LABELS:
        answer = await service.ask(label.question, watchlist=F.WATCHLIST, today=F.TODAY)
        totals[label.shape] += 1
        problem = check(label, answer)
        if problem is not None:
            misses[label.shape].append(f"{label.question!r}: {problem}")
    report = "\n".join(f"{shape}: {m}" for shape, ms in misses.items() for m in ms)
    for shape, total in totals.items():
        assert (total - len(misses[shape])) / total >= GOAL, report
    assert sum(map(len, misses.values())) <= len(LABELS) * (1 - GOAL), report
