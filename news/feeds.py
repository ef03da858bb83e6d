"""Which feeds to read, and each feed's polling state (validators, last attempt, back-off)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from core.settings import Settings
from core.timeutil import ensure_utc

logger = logging.getLogger(__name__)

YAHOO_SOURCE = "Yahoo Finance"
INVESTING_SOURCE = "Investing.com"
YAHOO_NOT_FOUND = "RSS feed not found"


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed to read. `key` names it in logs and results without its query string."""

    key: str
    url: str
    source: str
    symbol: str = ""  # the ticker a per-ticker feed is about
    allow_html: bool = False  # an HTML page is acceptable (extra feeds), not only RSS/Atom

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc.lower()


def yahoo_feed(settings: Settings, symbol: str, yahoo_symbol: str | None = None) -> Feed:
    """Yahoo's per-ticker headline feed; `yahoo_symbol` when Yahoo spells the ticker differently."""
    base = settings.yahoo_rss_base_url.rstrip("/")
    sym = quote(yahoo_symbol or symbol, safe="")
    url = f"{base}/rss/2.0/headline?s={sym}&region=US&lang=en-US"
    return Feed(key=f"yahoo:{symbol}", url=url, source=YAHOO_SOURCE, symbol=symbol)


def investing_feeds(settings: Settings) -> list[Feed]:
    """Investing.com's category feeds (rss/news_{N}.rss) from settings."""
    base = settings.investing_base_url.rstrip("/")
    return [
        Feed(key=f"investing:{n}", url=f"{base}/rss/news_{n}.rss", source=INVESTING_SOURCE)
        for n in dict.fromkeys(settings.news_investing_categories)
    ]


def extra_feeds(settings: Settings) -> list[Feed]:
    """The configured extra RSS/Atom feeds (or HTML pages); malformed URLs are logged and left out."""
    out = []
    for url in dict.fromkeys(settings.news_feeds):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            logger.warning("news: FINSIGNAL_NEWS_FEEDS entry %r is not an http(s) URL; ignored", url[:80])
            continue
        out.append(Feed(key=f"{parts.netloc}{parts.path}", url=url, source=parts.netloc, allow_html=True))
    return out


@dataclass(slots=True)
class FeedState:
    """What is remembered per feed between crawls (stored as JSON in the StateRepo)."""

    etag: str | None = None
    last_modified: str | None = None
    last_attempt: str | None = None  # ISO UTC
    not_before: str | None = None  # ISO UTC; set by 429 Retry-After
    last_error: str = ""

    @staticmethod
    def key(feed: Feed) -> str:
        return "news:feed:" + hashlib.sha1(feed.url.encode("utf-8")).hexdigest()

    @staticmethod
    def decode(raw: bytes | None) -> FeedState:
        if not raw:
            return FeedState()
        try:
            data = json.loads(raw)
            return FeedState(
                **{k: data.get(k) for k in ("etag", "last_modified", "last_attempt", "not_before")}
            )
        except (ValueError, TypeError):
            logger.warning("news: unreadable feed state; starting afresh")
            return FeedState()

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode("utf-8")

    def wait_until(self, min_interval_s: float) -> datetime | None:
        """The earliest time this feed may be fetched again, or None if it never was."""
        times = []
        try:
            if self.last_attempt:
                times.append(_iso(self.last_attempt) + timedelta(seconds=min_interval_s))
            if self.not_before:
                times.append(_iso(self.not_before))
        except (ValueError, TypeError):
            logger.warning("news: unreadable times in feed state; fetching now")
            return None
        return max(times) if times else None


def _iso(value: str) -> datetime:
    return ensure_utc(datetime.fromisoformat(value))
