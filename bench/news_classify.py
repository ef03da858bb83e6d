"""Precision/recall per industry of the news classifier on the labelled headlines, plus throughput.

    .venv/bin/python bench/news_classify.py [path/to/labelled.jsonl ...]

By default it reads tests/news/labelled_headlines.jsonl (the set the taxonomy was tuned on) and
tests/news/holdout_headlines.jsonl (written after tuning and never tuned on: the honest figure).
Prints a table per industry (tp, fp, fn, precision, recall), kind accuracy, symbol recall, and
headlines per second for `classify` against a reference measured in the same run (a bare regex
scan of the same text for one keyword), so the ratio is comparable across machines.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from news.classify import Classifier  # noqa: E402
from news.evaluate import (  # noqa: E402
    format_table,
    industry_scores,
    kind_accuracy,
    load_labelled,
    symbol_recall,
)

DEFAULT = [
    ROOT / "tests" / "news" / "labelled_headlines.jsonl",
    ROOT / "tests" / "news" / "holdout_headlines.jsonl",
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


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv[1:]] or DEFAULT
    clf = Classifier()
    titles: list[str] = []
    for path in paths:
        samples = load_labelled(path)
        ko = sum(1 for s in samples if re.search("[\uac00-\ud7a3]", s.title))
        print(f"\n{path.name}: {len(samples)} headlines ({ko} Korean, {len(samples) - ko} English)")
        print(format_table(industry_scores(samples, clf)))
        print(f"kind accuracy:  {kind_accuracy(samples, clf):.1%}")
        print(f"symbol recall:  {symbol_recall(samples, clf):.1%}")
        titles += [s.title for s in samples]
    one_keyword = re.compile(r"(?i:semiconductor)")
    reference = _rate(one_keyword.search, titles)
    measured = _rate(clf.classify, titles)
    print(f"\nthroughput:     {measured:,.0f} headlines/s (reference one-regex scan {reference:,.0f}/s, "
          f"ratio {reference / measured:.0f}x slower)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
