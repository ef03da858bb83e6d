"""The causes of misclassified real headlines, one test each, on headline shapes written for these tests."""

from __future__ import annotations

import pytest

from news import Classifier, NewsKind, classify
from news.entities import EntityIndex, load_rows
from news.korean import is_head

# --- companies the taxonomy never named, found through the listing data ---


@pytest.mark.parametrize(
    ("title", "symbol", "industries"),
    [
        ("Hynix posts second straight quarterly loss", "000660.KS", {"semiconductors"}),
        ("SK Hynix to build HBM plant in Indiana", "000660.KS", {"semiconductors"}),
        ("Nissan to recall 300,000 sedans over brake fault", "7201.T", {"autos"}),
        ("EOG Resources lifts output target", "EOG", {"energy"}),
        ("UBS to cut 3,000 jobs in wealth unit", "UBS", {"banks"}),
        ("Elpida Memory seeks state aid", "", {"semiconductors"}),  # delisted: no symbol, still a chipmaker
        ("SK하이닉스, 2분기 영업이익 5조 돌파", "000660.KS", {"semiconductors"}),
        ("에쓰오일, 울산 공장 정기보수 돌입", "010950.KS", {"energy"}),
    ],
)
def test_companies_from_the_listings(title: str, symbol: str, industries: set[str]) -> None:
    got = classify(title)
    if symbol:
        assert symbol in got.symbols
    assert set(got.industries) == industries
    assert got.kind == NewsKind.COMPANY_EVENT


def test_longest_name_wins_and_words_are_whole() -> None:
    # "Hyundai Heavy" is the shipbuilder, not "Hyundai" the carmaker
    got = classify("Hyundai Heavy wins $1 billion tanker order")
    assert got.industries == ("shipbuilding",)
    assert "005380.KS" not in got.symbols
    # "Intel" inside "Intelligence" is no company
    assert classify("Artificial Intelligence fund draws inflows").symbols == ()


def test_short_shared_name_gs() -> None:
    korean = classify("GS, 신사업 투자 확대")
    assert "GS" not in korean.symbols
    assert "banks" not in korean.industries
    assert "GS" in classify("GS cuts bonuses as Wall Street profits shrink").symbols
    assert classify("GS cuts prices of LPG").symbols == ()  # no Goldman, no bank: not Goldman
    assert "GS" in classify("Goldman Sachs to hire 500 bankers").symbols
    home = classify("GS홈쇼핑, 식품 단독 론칭")
    assert home.symbols == ("028150.KQ",)
    assert home.industries == ()


def test_listing_rows_are_data() -> None:
    rows = load_rows(
        "symbol,industries,en,ko,when\n"
        "ABC,energy,Acme Oil|Acme,에이비씨,\n"
        "XY,banks,XY,,lang=en;ctx=bank|lender\n"
    )
    index = EntityIndex(rows)
    assert [h.entity.symbol for h in index.find("Acme Oil buys rival")] == ["ABC"]
    assert [h.entity.symbol for h in index.find("에이비씨가 인수")] == ["ABC"]
    assert index.find("XY posts loss") == []
    assert [h.entity.symbol for h in index.find("XY posts loss", context="the lender said")] == ["XY"]


def test_a_rating_bank_lends_no_industry_to_the_companies_it_rates() -> None:
    got = classify("Morgan Stanley downgrades Nvidia, upgrades Ford")
    assert got.industries == ("autos", "semiconductors")
    assert classify("Morgan Stanley cuts 2,000 jobs").industries == ("banks",)  # no company rated


# --- Korean compounds that contain a shorter term ---


@pytest.mark.parametrize(
    ("title", "absent_symbol", "absent_industry"),
    [
        ("현대차증권, 연금 랩 신상품 출시", "005380.KS", "autos"),  # the broker, not the carmaker
        ("JB금융, 배당 확대 기대…목표가↑-현대차證", "005380.KS", "autos"),
        ("유가증권시장 상장사 3분기 순이익 감소", "", "energy"),  # the securities market, not the oil price
        ("대우조선해양건설, 경기도 아파트 수주", "042660.KS", "shipbuilding"),  # a builder, not the shipyard
        ("조선일보 주최 포럼 개막", "", "shipbuilding"),
    ],
)
def test_korean_compounds_do_not_count_as_the_shorter_term(
    title: str, absent_symbol: str, absent_industry: str
) -> None:
    got = classify(title)
    if absent_symbol:
        assert absent_symbol not in got.symbols
    assert absent_industry not in got.industries


@pytest.mark.parametrize(
    ("title", "industry"),
    [
        ("국제유가 배럴당 90달러 돌파", "energy"),  # the term is the head of 국제유가
        ("조선업 수주 호조 이어져", "shipbuilding"),
        ("은행株 일제히 반등", "banks"),
        ("필라델피아 반도체지수 3% 급락", "semiconductors"),
        ("현대차가 미국 공장 증설", "autos"),  # a particle after the name
    ],
)
def test_korean_heads_still_count(title: str, industry: str) -> None:
    assert industry in classify(title).industries


def test_head_rule_directly() -> None:
    assert is_head("현대차가 증설", 0, 3, entity=True)
    assert not is_head("현대차증권 출시", 0, 3, entity=True)
    assert not is_head("유가증권시장", 0, 2)
    assert is_head("국제유가 급등", 2, 4)


# --- incidental words need their industry's context; the description only confirms ---


@pytest.mark.parametrize(
    ("title", "summary", "industries"),
    [
        ("Student loans weigh on household spending", "", set()),
        ("Regional lenders tighten loans to builders", "", {"banks"}),
        ("Stocks rise on vaccine hopes", "", set()),
        ("Drugmaker's vaccine wins approval", "", {"biotech"}),
        ("Parking a car downtown costs more", "", set()),
        ("Central banks keep rates on hold", "", set()),
        ("C.banks should act on prices, official says", "", set()),
        ("Retailer sales beat forecasts", "Analysts said chip prices and oil costs weighed.", set()),
        ("LG Energy Solution wins battery order", "", {"batteries"}),  # not energy
    ],
)
def test_incidental_words(title: str, summary: str, industries: set[str]) -> None:
    assert set(classify(title, summary).industries) == industries


# --- kinds: an honest 'other', company events in both languages, the main clause ---


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Museum reopens its east wing to visitors", NewsKind.OTHER),
        ("주말 전국에 비 소식", NewsKind.OTHER),
        ("Honda unveils new hybrid SUV", NewsKind.COMPANY_EVENT),
        ("Acme Corp to buy rival for $2 billion", NewsKind.COMPANY_EVENT),
        ("Micron shares slide after weak guidance", NewsKind.MARKET_TREND),  # the main clause is the move
        ("Intel to cut 10% of staff as PC demand slumps", NewsKind.COMPANY_EVENT),
        ("삼성SDI, 유럽 공장 증설 결정", NewsKind.COMPANY_EVENT),
        ("셀트리온, 신약 임상 결과 발표에 급등", NewsKind.MARKET_TREND),  # the Korean clause ends in the move
        ("LG화학, 실적 개선 기대…목표가↑-대신증권", NewsKind.COMPANY_EVENT),  # an analyst's note
        ("Dollar slips against yen", NewsKind.MARKET_TREND),
        ("원·달러 환율 1,350원 마감", NewsKind.MARKET_TREND),
        ("Amid chip glut, government weighs export curbs", NewsKind.REGULATION),
    ],
)
def test_kinds(title: str, kind: NewsKind) -> None:
    assert classify(title).kind == kind


def test_exchanges_and_coins_are_not_companies() -> None:
    assert classify("한국거래소, 시장경보 조치 강화").kind == NewsKind.REGULATION
    assert classify("Bitcoin ATM opens in airport lobby").kind == NewsKind.OTHER


def test_registry_names_join_the_listings() -> None:
    clf = Classifier(extra_instruments=[("ZZZZ", ["Zephyr Quantum Holdings"])])
    got = clf.classify("Zephyr Quantum Holdings names new chief")
    assert got.symbols == ("ZZZZ",)
    assert got.kind == NewsKind.COMPANY_EVENT
