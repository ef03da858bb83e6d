"""Feed and page parsing on files in the documented formats (pure: bytes in, entries out)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import DataError
from news.parse import NotAFeedError, challenge_reason, parse_feed, parse_page
from tests.news.server import data


def test_yahoo_feed_shape() -> None:
    feed = parse_feed(data("yahoo_aapl.xml"))
    assert feed.kind == "rss"
    assert feed.title == "Yahoo! Finance: AAPL News"  # channel title after the items, as Yahoo writes it
    assert len(feed.entries) == 3
    first = feed.entries[0]
    assert first.title == "Apple to invest $10 billion in US data centers, raises dividend"
    assert first.link.endswith("211503123.html?.tsrc=rss")
    assert first.guid == "5c0f4b4e-3d2a-3a8e-9b2f-1f4a2b7c9d10"
    assert first.published == "Fri, 20 Nov 2026 21:15:03 +0000"
    assert feed.entries[1].summary_html == ""  # description absent


def test_investing_feed_shape_with_enclosure() -> None:
    feed = parse_feed(data("investing_25.xml"))
    assert feed.title == "Stock Market News"
    assert [e.author for e in feed.entries] == ["Investing.com", "Investing.com", "Reuters"]
    assert feed.entries[0].image == "https://i-invdn-com.investing.com/news/LYNXMPEM8K0XZ_M.jpg"
    assert feed.entries[0].published == "2026-11-20 22:01:00"
    assert feed.entries[0].guid == ""


def test_atom_feed() -> None:
    feed = parse_feed(data("atom_ko.xml"))
    assert feed.kind == "atom"
    assert feed.title == "예시경제 증권"
    first, second = feed.entries
    assert first.link.startswith(
        "https://news.example.co.kr/article/202611210001?"
    )  # rel=alternate, not self
    assert first.guid == "tag:news.example.co.kr,2026:202611210001"
    assert first.published == "2026-11-21T09:00:00+09:00"
    assert first.author == "김기자"
    assert second.published == "2026-11-21T08:30:00Z"  # falls back to <updated>


def test_rss_1_rdf_and_prefixed_children() -> None:
    rdf = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
 <channel><title>RDF Wire</title></channel>
 <item><media:title>Not this one</media:title><title>Lithium prices slump</title>
  <link>https://rdf.example.com/1</link><dc:date>2026-11-20T10:00:00Z</dc:date><dc:creator>Kim</dc:creator></item>
</rdf:RDF>"""
    feed = parse_feed(rdf)
    assert feed.kind == "rdf"
    assert feed.title == "RDF Wire"
    (entry,) = feed.entries
    assert entry.title == "Lithium prices slump"
    assert entry.published == "2026-11-20T10:00:00Z"
    assert entry.author == "Kim"


@pytest.mark.parametrize("name", ["cloudflare_challenge.html", "cloudflare_403.html"])
def test_challenge_pages_are_recognised(name: str) -> None:
    with pytest.raises(NotAFeedError, match="bot-challenge page"):
        parse_feed(data(name))
    with pytest.raises(NotAFeedError, match="bot-challenge page"):
        parse_page(data(name), "https://www.investing.com/rss/news_25.rss")
    assert challenge_reason(data("page.html")) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response body"),
        (b"   \n ", "empty response body"),
        (b"<html><body>hi</body></html>", "an HTML page where a feed was expected"),
        (b'<?xml version="1.0"?><sitemap><url/></sitemap>', "root element <sitemap>"),
        (b"not xml at all", "no XML element"),
    ],
)
def test_not_a_feed(body: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_feed(body)


def test_malformed_xml_is_recovered_with_a_warning() -> None:
    feed = parse_feed(data("malformed.xml"))
    assert feed.warnings
    assert "malformed XML" in feed.warnings[0]
    assert feed.entries[0].title == "Fed holds rates steady, signals two cuts next year"
    assert feed.entries[-1].link == ""  # the unclosed item has no usable link; normalisation drops it


def test_html_listing_page() -> None:
    page = parse_page(data("page.html"), "https://wire.example.com/markets")
    assert page.kind == "html"
    assert [e.title for e in page.entries] == [
        "Oil prices fall as OPEC+ signals output increase in January",
        "Regional bank shares slump as deposit outflows resume",
    ]
    assert page.entries[0].link.startswith("https://wire.example.com/markets/oil-opec-output-20261121?")
    assert page.entries[0].published == "2026-11-21T07:45:00Z"
    assert page.entries[1].published == ""


def test_single_article_page_from_open_graph() -> None:
    page = parse_page(data("article.html"), "https://wire.example.com/crypto/bitcoin-100k")
    (entry,) = page.entries
    assert entry.title.startswith("Bitcoin tops $100,000")
    assert entry.published == "2026-11-21T03:00:00+00:00"
    assert entry.summary_html.startswith("Bitcoin rose above $100,000")
    assert parse_page(b"<html><body><p>nothing</p></body></html>", "https://x.example.com").entries == ()


def test_declared_legacy_encoding_and_bom() -> None:
    euc_kr = (
        '<?xml version="1.0" encoding="euc-kr"?><rss version="2.0"><channel><title>예시경제</title>'
        "<item><title>삼성전자 주가 급등</title><link>https://a.example.kr/1</link></item></channel></rss>"
    ).encode("euc-kr")
    feed = parse_feed(euc_kr)
    assert feed.warnings == ()
    assert feed.title == "예시경제"
    assert feed.entries[0].title == "삼성전자 주가 급등"
    bom = b'\xef\xbb\xbf<?xml version="1.0"?><rss version="2.0"><channel><title>BOM</title></channel></rss>'
    assert parse_feed(bom).title == "BOM"


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>a &x; b</title>'
        "<link>https://e.example.com/1</link></item></channel></rss>"
    ).encode()
    feed = parse_feed(xxe)
    assert feed.title == "t"
    assert [e.title for e in feed.entries] == ["a  b"]
    # An internal DOCTYPE that only declares harmless entities is dropped the same way.
    laughs = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
    laughs += b'<rss version="2.0"><channel><title>ok</title></channel></rss>'
    assert parse_feed(laughs) == parse_feed(b'<rss version="2.0"><channel><title>ok</title></channel></rss>')
