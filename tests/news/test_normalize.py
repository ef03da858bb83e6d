"""Pure normalisation helpers: links, dates, text, language, fingerprints and summaries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from news.normalize import canonical_url, detect_language, fingerprint, html_to_text, parse_date
from news.summary import SUMMARY_MAX, summarize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://finance.yahoo.com/news/x-123.html?.tsrc=rss",
            "https://finance.yahoo.com/news/x-123.html",
        ),
        (
            "https://uk.finance.yahoo.com/news/x.html?guccounter=1&guce_referrer=abc&guce_referrer_sig=def",
            "https://uk.finance.yahoo.com/news/x.html",
        ),
        (
            "HTTPS://WWW.Investing.com:443/news/a-1?utm_source=rss&utm_medium=feed&id=7#comments",
            "https://www.investing.com/news/a-1?id=7",
        ),
        ("http://example.com:80?fbclid=IwAR0&gclid=x&page=2", "http://example.com/?page=2"),
        (
            "  https://n.example.co.kr/article/1?mc_cid=1&ncid=rss&q=%ED%95%9C  ",
            "https://n.example.co.kr/article/1?q=%ED%95%9C",
        ),
        ("javascript:alert(1)", ""),
        ("/relative/path", ""),
        ("", ""),
        ("http://[::1", ""),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Fri, 20 Nov 2026 21:15:03 +0000", datetime(2026, 11, 20, 21, 15, 3, tzinfo=UTC)),
        ("Sat, 21 Nov 2026 09:00:00 +0900", datetime(2026, 11, 21, 0, 0, tzinfo=UTC)),
        ("Wed, 18 Nov 2026 19:00:00 GMT", datetime(2026, 11, 18, 19, 0, tzinfo=UTC)),
        ("2026-11-21T09:00:00+09:00", datetime(2026, 11, 21, 0, 0, tzinfo=UTC)),
        ("2026-11-21T08:30:00Z", datetime(2026, 11, 21, 8, 30, tzinfo=UTC)),
        ("2026-11-21T08:30:00.123456Z", datetime(2026, 11, 21, 8, 30, 0, 123456, tzinfo=UTC)),
        ("2026-11-20 22:01:00", datetime(2026, 11, 20, 22, 1, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        ("Fri, 45 Nov 2026 99:99:99 +0000", None),
    ],
)
def test_parse_date(raw: str | None, expected: datetime | None) -> None:
    got = parse_date(raw)
    assert got == expected
    if got is not None:
        assert got.utcoffset() is not None
        assert got.tzinfo == UTC


def test_html_to_text() -> None:
    html = "<p>Stocks <b>rose</b>&nbsp;2%.</p><script>var x = 1;</script><p>Bonds &amp; gold fell.</p>"
    assert html_to_text(html) == "Stocks rose 2%. Bonds & gold fell."
    assert html_to_text("  plain   text ") == "plain text"
    assert html_to_text(None) == ""


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("삼성전자, HBM4 양산 돌입", "ko"),
        ("코스피 2,700선 회복…외국인 순매수", "ko"),
        ("SK하이닉스 HBM3E 12단 NVIDIA 공급 본격화 in 2026", "ko"),
        ("Apple to invest $10 billion in US data centers", "en"),
        ("Samsung Electronics (삼성전자) profit jumps as memory chip prices recover sharply", "en"),
        ("", "en"),
        ("12345 !!!", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_fingerprint_matches_the_same_story_across_feeds() -> None:
    a = fingerprint("Stocks close higher after cooler inflation data - Reuters")
    b = fingerprint("Stocks close higher after cooler inflation data")
    c = fingerprint("STOCKS CLOSE HIGHER, after cooler inflation data!")
    assert a == b == c
    assert len(a) == 20
    assert fingerprint("Stocks close lower after hot inflation data") != a
    # A long clause after a dash is part of the headline, not a publisher name.
    assert fingerprint("Fed holds rates - what it means for your mortgage") != fingerprint("Fed holds rates")
    assert fingerprint("삼성전자, HBM4 양산 돌입 | 예시경제") == fingerprint("삼성전자 HBM4 양산 돌입")
    assert fingerprint("  ") == ""


def test_summary_keeps_whole_sentences_within_the_limit() -> None:
    sentence = "Apple said it would spend ten billion dollars on new data centers over five years. "
    text = sentence * 6
    got = summarize(text)
    assert len(got) <= SUMMARY_MAX
    assert got.endswith("years.")
    assert got.count("Apple said") == 3  # 3 sentences of 84 chars fit in 300, 4 do not


def test_summary_cuts_a_long_sentence_at_a_word() -> None:
    text = "word " * 200
    got = summarize(text)
    assert len(got) <= SUMMARY_MAX
    assert got.endswith("word…")


def test_summary_of_korean_text() -> None:
    text = "국내 탄소배출권 가격이 21일 1만원선을 회복했다. 거래량은 전일 대비 세 배로 늘었다. 더보기"
    assert (
        summarize(text)
        == "국내 탄소배출권 가격이 21일 1만원선을 회복했다. 거래량은 전일 대비 세 배로 늘었다."
    )


def test_summary_drops_a_repeated_title_and_boilerplate() -> None:
    title = "Stocks close higher after cooler inflation data"
    assert summarize("Stocks close higher after cooler inflation data.", title) == ""
    assert summarize("Continue reading", "x") == ""
    assert summarize("", title) == ""


def test_summary_never_ends_inside_an_abbreviation() -> None:
    body = (
        "The U.S. Commerce Dept. said on Jan. 5 that factory orders rose 2.1% in Nov. after a flat "
        "Oct. reading. "
        "Economists at J.P. Morgan Chase & Co. had expected a 1.5% gain, according to a Reuters poll of 40 "
        "analysts. Shares of U.S. Steel Corp. rose 3% in early trade. "
    ) * 3
    got = summarize(body, limit=300)
    assert got.startswith("The U.S. Commerce Dept. said on Jan. 5 that factory orders rose 2.1% in Nov.")
    assert got.endswith(("reading.", "analysts.", "trade."))
    for bad in ("U.S.", "Dept.", "Jan.", "Corp.", "Co.", "Nov.", "Oct."):
        assert not got.endswith(bad)
    assert len(got) <= 300


def test_summary_is_never_a_stray_abbreviation() -> None:
    assert summarize("U.S.") == ""
    assert summarize("U.S. … — 3.") == ""
    got = summarize("Oil rose. U.S. crude stocks fell by 2 mln barrels, the EIA said.", limit=40)
    assert got == "Oil rose."


def test_summary_of_a_long_korean_body() -> None:
    body = (
        "삼성전자가 3분기 영업이익 10조원을 기록했다고 밝혔다. 이는 전년 동기 대비 274% 늘어난 수치다. "
        "메모리 가격 회복과 HBM 판매 확대가 실적을 이끌었다는 분석이 나온다. 미국 U.S. 스틸 등 "
        "해외 기업들의 실적 발표도 이어질 예정이다. "
    ) * 4
    got = summarize(body, limit=120)
    assert got.startswith("삼성전자가 3분기 영업이익 10조원을 기록했다고 밝혔다.")
    assert got.endswith("다.")
    assert len(got) <= 120
