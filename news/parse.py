"""Parsing feeds (RSS 2.0, RSS 1.0/RDF, Atom) and HTML pages into raw entries. Pure: bytes in, data out."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag
from lxml import etree  # type: ignore[import-untyped]

from core.errors import DataError

logger = logging.getLogger(__name__)

FEED_ROOTS = frozenset({"rss", "feed", "RDF"})
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)
_CHALLENGE_TITLES = re.compile(
    r"attention required|just a moment|checking your browser|access denied|captcha|are you a robot|"
    r"security check|ddos protection|request blocked|please verify you are a human",
    re.IGNORECASE,
)
# A DOCTYPE with an internal subset ([...]) makes BeautifulSoup's XML builder return nothing, and
# entity definitions are never needed for a feed: such a DOCTYPE is removed before parsing.
_INTERNAL_DTD = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.I | re.S)
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
_CHALLENGE_MARKERS = ("cf-chl", "cf_chl", "challenge-platform", "cf-browser-verification", "_incapsula_")


class NotAFeedError(DataError):
    """The response is not a feed (an HTML page, a bot challenge, or some other document)."""


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as found in a feed or page, before normalisation."""

    title: str
    link: str = ""
    guid: str = ""
    published: str = ""
    summary_html: str = ""
    author: str = ""
    image: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed document: its kind ('rss', 'atom', 'rdf' or 'html'), title and entries."""

    kind: str
    title: str
    entries: tuple[RawEntry, ...] = ()
    warnings: tuple[str, ...] = field(default=())


def looks_like_html(content: bytes) -> bool:
    """True when the document starts like an HTML page."""
    return bool(_HTML_START.match(content[:4096]))


def challenge_reason(content: bytes) -> str | None:
    """A short reason when `content` is a bot-protection page (Cloudflare and the like), else None."""
    head = content[:200_000]
    soup = BeautifulSoup(head, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    lowered = head.decode("utf-8", "replace").lower()
    if _CHALLENGE_TITLES.search(title):
        return f"bot-challenge page ({title[:60]!r}) instead of a feed"
    if any(marker in lowered for marker in _CHALLENGE_MARKERS):
        return "bot-challenge page (challenge script) instead of a feed"
    return None


def parse_feed(content: bytes) -> ParsedFeed:
    """Parse an RSS 2.0, RSS 1.0 (RDF) or Atom document.

    Raises NotAFeedError when the root is not rss/feed/RDF (e.g. an HTML challenge page) and
    DataError when the body is empty. Malformed XML is recovered where possible, with a warning.
    """
    if not content.strip():
        raise DataError("empty response body")
    if looks_like_html(content):
        reason = challenge_reason(content)
        raise NotAFeedError(reason or "an HTML page where a feed was expected")
    warnings: list[str] = []
    head = content[:65536]
    if b"<!DOCTYPE" in head.upper():
        stripped = _INTERNAL_DTD.sub(b"", head, count=1)
        if stripped != head:
            content = stripped + content[65536:]
            logger.debug("news: removed a DOCTYPE with entity definitions")
    try:  # a strict well-formedness check only; BeautifulSoup (lxml, recovering) does the parsing
        etree.fromstring(content, _STRICT)
    except etree.XMLSyntaxError as exc:
        warnings.append(f"malformed XML ({exc}); recovered what could be read")
    soup = BeautifulSoup(content, "xml")
    root = soup.find()
    if not isinstance(root, Tag):
        raise DataError("no XML element in the response")
    if root.name not in FEED_ROOTS:
        raise NotAFeedError(f"root element <{root.name}> is not rss, feed or RDF")
    if root.name == "feed":
        return ParsedFeed("atom", _text(_child(root, "title")), _atom_entries(root), tuple(warnings))
    channel = _child(root, "channel")
    title = _text(_child(channel, "title")) if channel else ""
    kind = "rss" if root.name == "rss" else "rdf"
    items = tuple(_rss_entry(item) for item in root.find_all("item"))
    return ParsedFeed(kind, title, tuple(e for e in items if e is not None), tuple(warnings))


def _child(tag: Tag | None, *names: str) -> Tag | None:
    """The first direct child with one of `names`, preferring unprefixed names (title over media:title)."""
    if tag is None:
        return None
    fallback: Tag | None = None
    for name in names:
        for child in tag.find_all(name, recursive=False):
            if not child.prefix:
                return child
            if fallback is None and child.prefix in ("dc", "content", "atom"):
                fallback = child
        if fallback is not None:
            return fallback
    return None


def _text(tag: Tag | None) -> str:
    return tag.get_text().strip() if tag is not None else ""


def _rss_entry(item: Tag) -> RawEntry | None:
    guid_tag = _child(item, "guid")
    guid = _text(guid_tag)
    link = _text(_child(item, "link"))
    if not link and guid_tag is not None and guid_tag.get("isPermaLink", "true") != "false":
        link = guid if guid.startswith(("http://", "https://")) else ""
    enclosure = _child(item, "enclosure")
    summary = _text(_child(item, "description")) or _text(_child(item, "encoded"))
    return RawEntry(
        title=_text(_child(item, "title")),
        link=link,
        guid=guid,
        published=_text(_child(item, "pubDate", "date")),
        summary_html=summary,
        author=_text(_child(item, "author", "creator")),
        image=str(enclosure.get("url", "")) if enclosure is not None else "",
    )


def _atom_link(entry: Tag) -> str:
    links = entry.find_all("link", recursive=False)
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return str(links[0].get("href", "")) if links else ""


def _atom_entries(root: Tag) -> tuple[RawEntry, ...]:
    out = []
    for entry in root.find_all("entry"):
        author = _child(entry, "author")
        out.append(
            RawEntry(
                title=_text(_child(entry, "title")),
                link=_atom_link(entry),
                guid=_text(_child(entry, "id")),
                published=_text(_child(entry, "published")) or _text(_child(entry, "updated")),
                summary_html=_text(_child(entry, "summary")) or _text(_child(entry, "content")),
                author=_text(_child(author, "name")),
            )
        )
    return tuple(out)


def parse_page(content: bytes, base_url: str) -> ParsedFeed:
    """Headlines from an HTML page: each <article> (heading, link, <time>, first paragraph), or the
    page itself as one article from its OpenGraph/meta tags. Raises NotAFeedError for challenges."""
    reason = challenge_reason(content)
    if reason:
        raise NotAFeedError(reason)
    soup = BeautifulSoup(content, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    entries = [e for e in (_article(a, base_url) for a in soup.find_all("article")) if e is not None]
    if not entries:
        single = _single_page(soup, base_url)
        entries = [single] if single else []
    return ParsedFeed("html", title, tuple(entries))


def _article(article: Tag, base_url: str) -> RawEntry | None:
    heading = article.find(["h1", "h2", "h3", "h4"])
    anchor = (heading.find("a", href=True) if heading else None) or article.find("a", href=True)
    title = heading.get_text(" ", strip=True) if heading else ""
    if not title and anchor is not None:
        title = anchor.get_text(" ", strip=True)
    if not title:
        return None
    when = article.find("time")
    para = article.find("p")
    return RawEntry(
        title=title,
        link=urljoin(base_url, str(anchor["href"])) if anchor is not None else "",
        published=str(when.get("datetime") or when.get_text(strip=True)) if when is not None else "",
        summary_html=para.get_text(" ", strip=True) if para else "",
    )


def _meta(soup: BeautifulSoup, *keys: str) -> str:
    for key in keys:
        tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
        if tag is not None and tag.get("content"):
            return str(tag["content"]).strip()
    return ""


def _single_page(soup: BeautifulSoup, base_url: str) -> RawEntry | None:
    title = _meta(soup, "og:title", "twitter:title")
    if not title:
        return None
    canonical = soup.find("link", rel="canonical")
    link = _meta(soup, "og:url") or (str(canonical.get("href", "")) if canonical is not None else "")
    return RawEntry(
        title=title,
        link=urljoin(base_url, link or base_url),
        published=_meta(soup, "article:published_time", "date", "pubdate"),
        summary_html=_meta(soup, "og:description", "description"),
        image=_meta(soup, "og:image"),
    )
