"""Precision and recall of the classifier on a labelled set of headlines (for tests and the bench)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from news.classify import Classifier, default_classifier


@dataclass(frozen=True, slots=True)
class Labelled:
    """One labelled headline: expected industries and kind; symbols only checked when given."""

    title: str
    industries: frozenset[str]
    kind: str
    summary: str = ""
    symbols: frozenset[str] | None = None
    language: str = ""

    @property
    def lang(self) -> str:
        """The given language, else 'ko' when the title has Hangul, else 'en'."""
        if self.language:
            return self.language
        return "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in self.title) else "en"


@dataclass(frozen=True, slots=True)
class Score:
    """Counts for one label; precision/recall are None when undefined (nothing predicted/expected)."""

    label: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def load_labelled(path: Path) -> list[Labelled]:
    """Read a JSON-lines file of {"title", "industries", "kind", ["summary"], ["symbols"]}."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        out.append(
            Labelled(
                title=row["title"],
                industries=frozenset(row.get("industries", [])),
                kind=row.get("kind", ""),
                summary=row.get("summary", ""),
                symbols=frozenset(row["symbols"]) if "symbols" in row else None,
            )
        )
    return out


def load_labelled_csv(path: Path) -> list[Labelled]:
    """Read a CSV with columns title, summary, lang, gold_industries (';'-separated), gold_kind."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Labelled(
                title=row["title"],
                industries=frozenset(i for i in row.get("gold_industries", "").split(";") if i),
                kind=row.get("gold_kind", ""),
                summary=row.get("summary", "") or "",
                language=row.get("lang", ""),
            )
            for row in csv.DictReader(fh)
        ]


def load_any(path: Path) -> list[Labelled]:
    """A labelled set from JSON lines or (by its .csv suffix) CSV."""
    return load_labelled_csv(path) if path.suffix == ".csv" else load_labelled(path)


def overall(scores: Iterable[Score]) -> Score:
    """Micro-averaged counts over all labels."""
    items = list(scores)
    return Score("all", sum(s.tp for s in items), sum(s.fp for s in items), sum(s.fn for s in items))


def industry_scores(samples: Sequence[Labelled], classifier: Classifier | None = None) -> list[Score]:
    """Per-industry counts over `samples`, in taxonomy order."""
    clf = classifier or default_classifier()
    keys = [m.key for m in clf.taxonomy.industries]
    counts = {k: [0, 0, 0] for k in keys}
    for s in samples:
        got = set(clf.classify(s.title, s.summary).industries)
        for k in keys:
            if k in got and k in s.industries:
                counts[k][0] += 1
            elif k in got:
                counts[k][1] += 1
            elif k in s.industries:
                counts[k][2] += 1
    return [Score(k, *counts[k]) for k in keys]


def kind_accuracy(samples: Sequence[Labelled], classifier: Classifier | None = None) -> float:
    """Share of samples whose kind is right."""
    clf = classifier or default_classifier()
    labelled = [s for s in samples if s.kind]
    right = sum(1 for s in labelled if clf.classify(s.title, s.summary).kind == s.kind)
    return right / len(labelled) if labelled else 0.0


def symbol_recall(samples: Sequence[Labelled], classifier: Classifier | None = None) -> float:
    """Share of expected symbols found, over samples that name symbols."""
    clf = classifier or default_classifier()
    expected = found = 0
    for s in samples:
        if s.symbols:
            got = set(clf.classify(s.title, s.summary).symbols)
            expected += len(s.symbols)
            found += len(s.symbols & got)
    return found / expected if expected else 0.0


def format_table(scores: Iterable[Score]) -> str:
    """A plain-text table: industry, tp, fp, fn, precision, recall."""

    def pct(v: float | None) -> str:
        return "   -" if v is None else f"{v:4.0%}"

    lines = [f"{'industry':<15} {'tp':>3} {'fp':>3} {'fn':>3} {'prec':>5} {'recall':>6}"]
    items = list(scores)
    for s in [*items, overall(items)]:
        lines.append(f"{s.label:<15} {s.tp:>3} {s.fp:>3} {s.fn:>3} {pct(s.precision):>5} {pct(s.recall):>6}")
    return "\n".join(lines)
