"""Classification: the labelled headline set (precision per industry) and specific behaviours."""

from __future__ import annotations

from pathlib import Path

import pytest

from news import Classifier, NewsKind, classify
from news.evaluate import format_table, industry_scores, kind_accuracy, load_labelled, symbol_recall
from news.taxonomy import Taxonomy, default_taxonomy

LABELLED = Path(__file__).parent / "labelled_headlines.jsonl"  # the taxonomy was tuned on these
HOLDOUT = Path(__file__).parent / "holdout_headlines.jsonl"  # written after tuning; never tuned on
MIN_PRECISION = 0.8
MIN_RECALL = 0.6


def test_labelled_set_precision_per_industry(capsys: pytest.CaptureFixture[str]) -> None:
    samples = load_labelled(LABELLED)
    assert len(samples) >= 60
    assert sum(1 for s in samples if any("\uac00" <= ch <= "\ud7a3" for ch in s.title)) >= 25
    scores = industry_scores(samples)
    with capsys.disabled():
        print(f"\nnews classification on {len(samples)} labelled headlines\n{format_table(scores)}")
        print(f"kind accuracy {kind_accuracy(samples):.0%}, symbol recall {symbol_recall(samples):.0%}")
    assert {s.label for s in scores} == {m.key for m in default_taxonomy().industries}
    for s in scores:
        assert s.tp + s.fn >= 5, f"{s.label}: too few labelled examples"
        assert s.precision is not None
        assert s.precision >= MIN_PRECISION, s.label
        assert s.recall is not None
        assert s.recall >= MIN_RECALL, s.label
    assert kind_accuracy(samples) >= 0.75
    assert symbol_recall(samples) >= 0.9


def test_holdout_precision_per_industry(capsys: pytest.CaptureFixture[str]) -> None:
    samples = load_labelled(HOLDOUT)
    assert len(samples) >= 40
    scores = industry_scores(samples)
    with capsys.disabled():
        print(f"\nnews classification on {len(samples)} held-out headlines\n{format_table(scores)}")
    for s in scores:
        assert s.tp + s.fn >= 2, s.label
        assert s.precision is not None
        assert s.precision >= 0.75, s.label
    tp, fp = sum(s.tp for s in scores), sum(s.fp for s in scores)
    assert tp / (tp + fp) >= 0.9
    assert kind_accuracy(samples) >= 0.7


@pytest.mark.parametrize(
    ("title", "symbols", "industries"),
    [
        ("삼성전자, 파운드리 수주 확대", {"005930.KS"}, {"semiconductors"}),
        ("배출권 가격 급등", {"KAU"}, {"carbon"}),
        ("KAU25 trading volume triples on KRX", {"KAU", "KAU25"}, {"carbon"}),
        ("SparkChange FCO2 ETC sees record inflows", {"FCO2.DE"}, {"carbon"}),
        ("Samsung Electronics to hold annual shareholders meeting", {"005930.KS"}, {"semiconductors"}),
        ("Rivian (NASDAQ: RIVN) recalls vehicles", {"RIVN"}, {"autos"}),
        ("$PLTR jumps after contract win", {"PLTR"}, set()),
        ("Blue-chip stocks slip as investors take profits", set(), set()),
        ("Bank of Japan holds rates; yen weakens", set(), set()),
        ("한국은행, 기준금리 동결", set(), set()),
        ("Carbon fiber maker expands plant", set(), set()),
        ("조선일보 창간 기념 행사", set(), set()),
    ],
)
def test_symbols_and_industries(title: str, symbols: set[str], industries: set[str]) -> None:
    got = classify(title)
    assert set(got.symbols) == symbols
    assert set(got.industries) == industries


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("US consumer prices rise 0.3% in October", NewsKind.ECONOMIC_INDICATOR),
        ("SEC sues crypto exchange over unregistered securities", NewsKind.REGULATION),
        ("JPMorgan profit beats estimates", NewsKind.COMPANY_EVENT),
        ("코스피 급등…외국인 순매수", NewsKind.MARKET_TREND),
        ("Samsung Electronics names new chief", NewsKind.COMPANY_EVENT),  # no keyword: a company
        ("Something happened somewhere", NewsKind.OTHER),  # nothing at all: said so, not guessed
    ],
)
def test_kind(title: str, kind: NewsKind) -> None:
    assert classify(title).kind == kind


def test_summary_names_symbols_but_only_confirms_industries() -> None:
    got = classify("Shares fall", "Hyundai Motor said electric vehicle sales slowed in November.")
    assert "005380.KS" in got.symbols
    assert got.industries == ()  # the title suggests no industry: the description cannot add one
    # a weak title word ("loans") is confirmed by a bank in the description
    assert classify("Loans to builders surge", "Lenders extended 4% more credit.").industries == ("banks",)
    assert classify("Loans to builders surge", "Builders borrowed 4% more.").industries == ()


def test_extra_instruments_and_context_symbols() -> None:
    clf = Classifier(
        extra_instruments=[("RIVN", ["Rivian Automotive", "Rivian"]), ("005930.KS", ["Samsung"])]
    )
    got = clf.classify("Rivian beats delivery estimates", symbols=["YHOO"])
    assert set(got.symbols) == {"RIVN", "YHOO"}
    assert clf.classify("Samsung").symbols == ()  # known symbols keep the taxonomy's names


def test_taxonomy_is_data() -> None:
    tax = Taxonomy.from_dict(
        {
            "industries": {
                "gold": {
                    "en": "Gold",
                    "ko": "금",
                    "keywords": ["gold", "금값", "=AU"],
                    "exclude": ["gold medal"],
                }
            },
            "kinds": {"market_trend": {"keywords": ["rally"]}},
            "instruments": [{"symbol": "GC=F", "names": ["gold futures"], "industries": ["gold"]}],
        }
    )
    clf = Classifier(tax)
    assert clf.classify("Gold rally continues").industries == ("gold",)
    assert clf.classify("금값 사상 최고").industries == ("gold",)
    assert clf.classify("Olympic gold medal for Korea").industries == ()
    assert clf.classify("AU price").industries == ("gold",)
    assert clf.classify("au pair").industries == ()  # all-caps keywords are case-sensitive
    assert clf.classify("Gold futures rally").symbols == ("GC=F",)


def test_shipped_taxonomy_covers_the_required_industries() -> None:
    labels = {m.key: (m.en, m.ko) for m in default_taxonomy().industries}
    for key, ko in [
        ("semiconductors", "반도체"),
        ("blockchain", "블록체인"),
        ("carbon", "탄소배출권"),
        ("energy", "에너지"),
        ("banks", "은행"),
        ("autos", "자동차"),
    ]:
        assert ko in labels[key][1]
    assert len(labels) >= 8
