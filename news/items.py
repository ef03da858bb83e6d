"""From raw entries to classified NewsItems, and deduplication within a batch."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from core.types import NewsItem
from news.classify import Classifier
from news.normalize import canonical_url, clean_text, detect_language, fingerprint, html_to_text, parse_date
from news.parse import RawEntry
from news.summary import summarize

logger = logging.getLogger(__name__)

TITLE_MAX = 500
FUTURE_SLACK = timedelta(minutes=15)


@dataclass(slots=True)
class Tally:
    """What happened to the entries of one feed: kept, dropped (with reasons), dated by fetch time."""

    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    undated: int = 0
    future: int = 0

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1


def to_item(
    entry: RawEntry,
    *,
    source: str,
    fetched_at: datetime,
    classifier: Classifier,
    context_symbols: Sequence[str] = (),
    tally: Tally,
    feed_key: str,
) -> NewsItem | None:
    """Normalise and classify one entry, or None (with the reason logged and tallied).

    Entries without a title or an http(s) link are skipped. An entry without a readable date gets
    the fetch time; a date more than 15 minutes ahead of the fetch is clamped to the fetch time.
    """
    title = clean_text(html_to_text(entry.title))[:TITLE_MAX]
    if not title:
        tally.drop("no title")
        logger.info("news: %s: skipped an entry without a title", feed_key)
        return None
    url = canonical_url(entry.link)
    if not url:
        tally.drop("no link")
        logger.info("news: %s: skipped %r: no usable link (%r)", feed_key, title[:80], entry.link[:120])
        return None
    published = parse_date(entry.published)
    if published is None:
        tally.undated += 1
        logger.info(
            "news: %s: %r has no readable date (%r); using the fetch time",
            feed_key,
            title[:80],
            entry.published[:60],
        )
        published = fetched_at
    elif published > fetched_at + FUTURE_SLACK:
        tally.future += 1
        logger.info(
            "news: %s: %r is dated in the future (%s); using the fetch time",
            feed_key,
            title[:80],
            published.isoformat(),
        )
        published = fetched_at
    body = html_to_text(entry.summary_html)
    found = classifier.classify(title, body, symbols=context_symbols)
    tally.kept += 1
    return NewsItem(
        url=url,
        title=title,
        source=source,
        published=published,
        summary=summarize(body, title),
        language=detect_language(f"{title} {body}"),
        guid=entry.guid.strip()[:500] or url,
        fingerprint=fingerprint(title),
        symbols=found.symbols,
        industries=found.industries,
        kind=str(found.kind),
    )


def dedupe(items: Iterable[NewsItem]) -> tuple[list[NewsItem], int]:
    """Drop repeats of a guid, url or fingerprint seen earlier in `items`; merge their symbols and
    industries into the kept item. Returns (kept, number dropped)."""
    kept: list[NewsItem] = []
    index: dict[str, int] = {}
    dropped = 0
    for item in items:
        keys = [f"g:{item.guid}", f"u:{item.url}"] + ([f"f:{item.fingerprint}"] if item.fingerprint else [])
        hit = next((index[k] for k in keys if k in index), None)
        if hit is None:
            for k in keys:
                index[k] = len(kept)
            kept.append(item)
            continue
        dropped += 1
        first = kept[hit]
        kept[hit] = replace(
            first,
            symbols=tuple(sorted(set(first.symbols) | set(item.symbols))),
            industries=tuple(sorted(set(first.industries) | set(item.industries))),
            summary=first.summary or item.summary,
        )
        for k in keys:
            index.setdefault(k, hit)
    return kept, dropped
