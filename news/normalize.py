"""Pure helpers that turn feed fields into clean values: URLs, dates, text, language, fingerprints."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup

# Query parameters that only track the reader; dropped from every link.
_TRACKING_EXACT = frozenset(
    {
        ".tsrc",
        "tsrc",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "ncid",
        "cmpid",
        "ref_src",
        "soc_src",
        "soc_trk",
        "taid",
        "ocid",
        "sr_share",
        "_hsenc",
        "_hsmi",
        "igshid",
        "spm",
    }
)
_TRACKING_PREFIXES = ("utm_", "__twitter", "ga_", "pk_", "mtm_")

_WS = re.compile(r"\s+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]")
# A trailing publisher name of at most three words: " - Reuters", " | 연합뉴스", " - The Korea Herald".
_TITLE_SUFFIX = re.compile(r"\s+[-|–—]\s+[^-|–—\s]+(?:\s[^-|–—\s]+){0,2}$")


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in _TRACKING_EXACT or k.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The link without tracking parameters or fragment, with a lower-case scheme and host.

    Returns "" for anything that is not an absolute http(s) URL.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    netloc = parts.netloc.lower()
    if netloc.endswith(":80") and scheme == "http":
        netloc = netloc[:-3]
    elif netloc.endswith(":443") and scheme == "https":
        netloc = netloc[:-4]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query, doseq=True), ""))


def parse_date(value: str | None) -> datetime | None:
    """RFC 822 (RSS), ISO 8601 (Atom) or 'YYYY-MM-DD HH:MM:SS' as aware UTC; None if unreadable.

    A time without a zone is taken to be UTC (Investing.com writes pubDate that way).
    """
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    parsed: datetime | None = None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        iso = text.replace("Z", "+00:00").replace("z", "+00:00")
        try:
            parsed = datetime.fromisoformat(iso)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def html_to_text(value: str | None) -> str:
    """Plain text from an HTML fragment: tags and scripts removed, entities decoded, spaces collapsed."""
    if not value:
        return ""
    if "<" not in value and "&" not in value:
        return clean_text(value)
    soup = BeautifulSoup(value, "html.parser")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    return clean_text(soup.get_text(" "))


def clean_text(value: str) -> str:
    """NFC, decoded entities, single spaces, trimmed."""
    return _WS.sub(" ", unicodedata.normalize("NFC", html.unescape(value))).strip()


def detect_language(text: str) -> str:
    """'ko' when at least a fifth of the letters are Hangul, otherwise 'en'."""
    letters = _LETTER.findall(text)
    if not letters:
        return "en"
    hangul = sum(1 for ch in letters if _HANGUL.match(ch))
    return "ko" if hangul / len(letters) >= 0.2 else "en"


def title_key(title: str) -> str:
    """A title reduced for comparison: NFKC, lower case, publisher suffix and punctuation dropped."""
    t = unicodedata.normalize("NFKC", title).strip()
    t = _TITLE_SUFFIX.sub("", t)
    t = "".join(ch if ch.isalnum() else " " for ch in t.lower())
    return _WS.sub(" ", t).strip()


def fingerprint(title: str) -> str:
    """A stable fingerprint of a headline; the same story from two feeds gets the same one."""
    key = title_key(title)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20] if key else ""
