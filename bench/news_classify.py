"""Precision/recall per industry and kind accuracy per language of the news classifier, plus throughput.

    .venv/bin/python bench/news_classify.py [path/to/labelled.jsonl|.csv ...]

By default it reads the project's own sets, tests/news/labelled_headlines.jsonl (the taxonomy was tuned on
it) and tests/news/holdout_headlines.jsonl (written after tuning), and, when it is there, the hand-labelled
real headlines ../shared/data/news/headlines_labelled_dev.csv (Reuters, CNBC, Guardian, Korean press; see
its README: tune on this development half only, a second half kept apart checks the result).
For each set and language: a table per industry (tp, fp, fn, precision, recall, and the micro total) and
kind accuracy with the confusion of kinds. Then headlines per second for `classify` against a reference
measured in the same run (a bare regex scan of the same text for one keyword), the time to build a classifier
and the cost of the Korean tokenizer's lazy load (seconds and peak resident memory).
"""

from __future__ import annotations

import re
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from news import korean  # noqa: E402
from news.classify import Classifier  # noqa: E402
from news.evaluate import Labelled, format_table, industry_scores, load_any, symbol_recall  # noqa: E402

SHARED_DEV = ROOT.parent / "shared" / "data" / "news" / "headlines_labelled_dev.csv"
DEFAULT = [
    ROOT / "tests" / "news" / "labelled_headlines.jsonl",
    ROOT / "tests" / "news" / "holdout_headlines.jsonl",
    SHARED_DEV,
]


def _rate(fn: object, texts: list[str], seconds: float = 0.5) -> float:
    assert callable(fn)
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for t in texts:
            fn(t)
        done += len(texts)
    return done / (time.perf_counter() - start)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _kinds(samples: list[Labelled], clf: Classifier) -> str:
    got = [(s.kind, str(clf.classify(s.title, s.summary).kind)) for s in samples if s.kind]
    right = sum(1 for want, have in got if want == have)
    wrong = Counter(f"{want}->{have}" for want, have in got if want != have)
    worst = ", ".join(f"{k} {n}" for k, n in wrong.most_common(5))
    return f"kind accuracy:  {right / len(got):.1%} ({right}/{len(got)}); most confused: {worst}"


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv[1:]] or [p for p in DEFAULT if p.exists()]
    start = time.perf_counter()
    clf = Classifier()
    build = time.perf_counter() - start
    rss0 = _rss_mb()
    start = time.perf_counter()
    korean.morphemes("현대차증권, 배당 펀드 출시")
    first_ko = time.perf_counter() - start
    rss1 = _rss_mb()
    titles: list[str] = []
    for path in paths:
        samples = load_any(path)
        for lang in ("en", "ko"):
            part = [s for s in samples if s.lang == lang]
            if not part:
                continue
            print(f"\n{path.name} [{lang}]: {len(part)} headlines")
            print(format_table(industry_scores(part, clf)))
            print(_kinds(part, clf))
            if any(s.symbols for s in part):
                print(f"symbol recall:  {symbol_recall(part, clf):.1%}")
        titles += [s.title for s in samples]
    one_keyword = re.compile(r"(?i:semiconductor)")
    reference = _rate(one_keyword.search, titles)
    measured = _rate(clf.classify, titles)
    print(f"\nthroughput:     {measured:,.0f} headlines/s (reference one-regex scan {reference:,.0f}/s, "
          f"ratio {reference / measured:.0f}x slower)")  # fmt: skip
    print(f"classifier build (taxonomy + {len(clf.entities)} listing names): {build * 1000:.0f} ms; "
          f"Korean tokenizer lazy load: {first_ko:.2f} s, peak RSS {rss0:.0f} -> {rss1:.0f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
