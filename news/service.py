"""NewsService: crawl feeds into the NewsRepo, and serve the latest items by symbol or industry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx

from core.errors import DataError, RateLimitedError, SourceError, TransientSourceError, UsageError
from core.ports import Repositories
from core.settings import Settings
from core.timeutil import Clock, SystemClock
from core.types import NewsItem
from news import korean
from news.classify import Classifier
from news.feeds import YAHOO_NOT_FOUND, Feed, FeedState, extra_feeds, investing_feeds, yahoo_feed
from news.fetch import Fetched, fetch, make_client
from news.items import Tally, dedupe, to_item
from news.parse import ParsedFeed, looks_like_html, parse_feed, parse_page
from news.query import Query, industry_labels, resolve_query

logger = logging.getLogger(__name__)

Translator = Callable[[str, str], Awaitable[str]]
MAX_ENTRIES_PER_FEED = 200
LATEST_MAX = 50
HOST_FAILURES = 2  # consecutive timeouts/connection failures before a host's other feeds wait


@dataclass(frozen=True, slots=True)
class CrawlResult:
    """One crawl: the new items stored, per-feed errors (feed key -> reason) and counts."""

    items: tuple[NewsItem, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)  # incl. recovered malformed XML
    fetched: int = 0  # feeds that answered 200
    not_modified: int = 0  # feeds that answered 304
    skipped: tuple[str, ...] = ()  # feeds not due yet (polite interval or a 429 back-off)
    dropped: int = 0  # entries without a title or link
    duplicates: int = 0  # repeats within this crawl or already stored
    undated: int = 0  # entries dated by the fetch time

    @property
    def new(self) -> int:
        return len(self.items)


@dataclass(slots=True)
class _Outcome:
    feed: Feed
    state: FeedState
    items: list[NewsItem] = field(default_factory=list)
    status: str = "skipped"  # fetched | not_modified | skipped | error
    error: str = ""
    validators: tuple[str | None, str | None] | None = None  # saved once the items are stored
    tally: Tally = field(default_factory=Tally)
    transient: bool = False  # a timeout or connection failure (not an HTTP answer)


class NewsService:
    """Collects headlines (Yahoo per ticker, Investing.com categories, extra feeds) and serves them."""

    def __init__(
        self,
        settings: Settings,
        repos: Repositories,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        translator: Translator | None = None,
    ) -> None:
        self._settings = settings
        self._repos = repos
        self._clock = clock or SystemClock()
        self._transport = transport
        self._translator = translator

    # ------------------------------------------------------------------ crawling
    def feeds(self, symbols: Sequence[str] = ()) -> list[Feed]:
        """The feeds a crawl for `symbols` reads (Yahoo per ticker, Investing.com, extra feeds)."""
        yahoo = [yahoo_feed(self._settings, s) for s in dict.fromkeys(s.strip() for s in symbols) if s]
        return yahoo + investing_feeds(self._settings) + extra_feeds(self._settings)

    async def crawl(self, symbols: Sequence[str] = ()) -> CrawlResult:
        """Read every due feed once, store new items, and report per-feed errors. Never raises for a
        feed's failure; a storage failure propagates (and no ETag is saved, so nothing is lost)."""
        now = self._clock.now()
        feeds = await self._route(self.feeds(symbols))
        classifier = await self._classifier()
        by_host: dict[str, list[Feed]] = {}
        for feed in feeds:
            by_host.setdefault(feed.host, []).append(feed)
        async with make_client(self._transport, self._settings.news_timeout_s) as client:
            groups = await asyncio.gather(
                *(self._crawl_host(client, group, now, classifier) for group in by_host.values())
            )
        outcomes = [o for group in groups for o in group]
        candidates, in_batch = dedupe(item for o in outcomes for item in o.items)
        stored = await self._repos.news.add_news(candidates) if candidates else []
        await self._save_states(outcomes)
        result = CrawlResult(
            items=tuple(stored),
            errors={o.feed.key: o.error for o in outcomes if o.error},
            fetched=sum(o.status == "fetched" for o in outcomes),
            not_modified=sum(o.status == "not_modified" for o in outcomes),
            skipped=tuple(o.feed.key for o in outcomes if o.status == "skipped"),
            dropped=sum(sum(o.tally.dropped.values()) for o in outcomes),
            duplicates=in_batch + len(candidates) - len(stored),
            undated=sum(o.tally.undated for o in outcomes),
        )
        logger.info(
            "news: crawl of %d feeds: %d new, %d dup, %d fetched, %d not modified, %d not due, %d errors",
            len(feeds), result.new, result.duplicates, result.fetched, result.not_modified,
            len(result.skipped), len(result.errors),
        )  # fmt: skip
        return result

    async def _route(self, feeds: list[Feed]) -> list[Feed]:
        """Drop Yahoo feeds for instruments that Yahoo does not carry; use Yahoo's own ticker spelling."""
        out = []
        for feed in feeds:
            if not feed.symbol:
                out.append(feed)
                continue
            try:
                inst = await self._repos.instruments.get_instrument(feed.symbol)
            except Exception:
                logger.warning("news: could not look up %s; trying Yahoo as is", feed.symbol, exc_info=True)
                inst = None
            if inst is not None and inst.sources and "yahoo" not in inst.sources:
                logger.debug("news: %s is not a Yahoo instrument; no per-ticker feed", feed.symbol)
                continue
            yahoo_sym = inst.source_symbols.get("yahoo") if inst is not None else None
            out.append(yahoo_feed(self._settings, feed.symbol, yahoo_sym) if yahoo_sym else feed)
        return out

    async def _classifier(self) -> Classifier:
        """The shipped taxonomy plus the names of the instruments in the registry."""
        try:
            instruments = await self._repos.instruments.list_instruments()
        except Exception:
            logger.warning(
                "news: instrument registry unavailable; classifying with the taxonomy only", exc_info=True
            )
            instruments = []
        # the Korean tokenizer loads once per process in seconds: in a thread, not on the event loop
        await asyncio.to_thread(korean.tokenizer)
        return Classifier(extra_instruments=[(i.symbol, [i.name]) for i in instruments])

    async def _crawl_host(
        self, client: httpx.AsyncClient, feeds: list[Feed], now: datetime, classifier: Classifier
    ) -> list[_Outcome]:
        """One host's feeds, one at a time (politeness towards each server). After two timeouts or
        connection failures in a row the host's remaining feeds wait for the next crawl."""
        outcomes: list[_Outcome] = []
        failures = 0
        for feed in feeds:
            if failures >= HOST_FAILURES:
                outcomes.append(
                    _Outcome(feed, FeedState(), error=f"not tried: {feed.host} failed twice in a row")
                )
                continue
            outcome = await self._crawl_feed(client, feed, now, classifier)
            failures = failures + 1 if outcome.transient else 0
            outcomes.append(outcome)
        if failures >= HOST_FAILURES and len(outcomes) > HOST_FAILURES:
            logger.warning("news: %s keeps failing; %d feeds left for the next crawl", feeds[0].host,
                           len(feeds) - HOST_FAILURES)  # fmt: skip
        return outcomes

    async def _crawl_feed(
        self, client: httpx.AsyncClient, feed: Feed, now: datetime, classifier: Classifier
    ) -> _Outcome:
        state = FeedState.decode(await self._repos.state.get_state(FeedState.key(feed)))
        due = state.wait_until(self._settings.news_min_interval_s)
        out = _Outcome(feed, state)
        if due is not None and now < due:
            logger.debug("news: %s not due until %s", feed.key, due.isoformat())
            return out
        state.last_attempt = now.isoformat()
        state.not_before = None
        try:
            got = await fetch(
                client,
                feed.url,
                source=feed.key,
                etag=state.etag,
                last_modified=state.last_modified,
                max_bytes=self._settings.news_max_bytes,
                timeout_s=self._settings.news_timeout_s,
            )
            self._read(out, got, now, classifier)
        except (SourceError, DataError) as exc:
            self._fail(out, exc, now)
        except Exception as exc:  # a bug or a parser surprise must not stop the other feeds
            logger.exception("news: %s: unexpected failure", feed.key)
            out.status, out.error = "error", f"unexpected {type(exc).__name__}"
        state.last_error = out.error
        return out

    def _read(self, out: _Outcome, got: Fetched, now: datetime, classifier: Classifier) -> None:
        feed = out.feed
        if got.not_modified:
            out.status = "not_modified"
            logger.debug("news: %s not modified", feed.key)
            return
        parsed = self._parse(feed, got)
        for warning in parsed.warnings:
            logger.warning("news: %s: %s", feed.key, warning)
        entries = parsed.entries[:MAX_ENTRIES_PER_FEED]
        if feed.symbol and any(YAHOO_NOT_FOUND.lower() in e.title.lower() for e in entries):
            raise DataError(f"Yahoo has no feed for {feed.symbol}")
        source = feed.source if not feed.allow_html else (parsed.title or feed.source)
        for entry in entries:
            item = to_item(
                entry,
                source=source[:64],
                fetched_at=now,
                classifier=classifier,
                context_symbols=(feed.symbol,) if feed.symbol else (),
                tally=out.tally,
                feed_key=feed.key,
            )
            if item is not None:
                out.items.append(item)
        if not entries:
            logger.info("news: %s: feed has no entries", feed.key)
        out.status = "fetched"
        out.validators = (got.etag, got.last_modified)
        if parsed.warnings:
            out.error = "; ".join(parsed.warnings)

    @staticmethod
    def _parse(feed: Feed, got: Fetched) -> ParsedFeed:
        if feed.allow_html and looks_like_html(got.content):
            return parse_page(got.content, feed.url)
        return parse_feed(got.content)

    def _fail(self, out: _Outcome, exc: Exception, now: datetime) -> None:
        out.status, out.error = "error", str(exc)
        out.transient = isinstance(exc, TransientSourceError) and not isinstance(exc, RateLimitedError)
        interval = self._settings.news_min_interval_s
        if isinstance(exc, RateLimitedError):
            wait = max(exc.retry_after or 0.0, 2 * interval)
            out.state.not_before = (now + timedelta(seconds=wait)).isoformat()
        elif "HTTP 403" in out.error:
            out.state.not_before = (now + timedelta(seconds=2 * interval)).isoformat()
        logger.warning("news: %s: %s", out.feed.key, out.error)

    async def _save_states(self, outcomes: list[_Outcome]) -> None:
        for o in outcomes:
            if o.status == "skipped":
                continue
            if o.validators is not None:
                o.state.etag, o.state.last_modified = o.validators
            await self._repos.state.put_state(FeedState.key(o.feed), o.state.encode())

    # ------------------------------------------------------------------ serving
    async def latest(
        self, query: str | None = None, limit: int = 5, *, language: str | None = None
    ) -> list[NewsItem]:
        """Newest items, for a symbol or an industry (ko or en) when `query` is given.

        With `language` and a translator, titles and summaries in another language are translated
        (the original is kept when translation fails). A query that is neither a symbol nor an
        industry finds nothing (`news.resolve_query` raises UsageError with a message for it).
        """
        limit = max(1, min(limit, LATEST_MAX))
        try:
            q: Query = resolve_query(query)
        except UsageError as exc:
            logger.debug("news: %s", exc)
            return []
        items = await self._repos.news.list_news(symbol=q.symbol, industry=q.industry, limit=limit)
        if language and self._translator is not None:
            items = [await self._translate(item, language) for item in items]
        return items

    async def latest_for(
        self,
        symbols: Sequence[str],
        limit: int = 3,
        *,
        since: datetime | None = None,
        language: str | None = None,
    ) -> list[NewsItem]:
        """The newest items about any of `symbols` (e.g. a chat's watchlist, for briefings), each once,
        newest first; with `since`, only items published at or after it."""
        limit = max(1, min(limit, LATEST_MAX))
        seen: dict[str, NewsItem] = {}
        for symbol in dict.fromkeys(symbols):
            try:
                query = resolve_query(symbol)
            except UsageError:
                continue
            if query.symbol is None:
                continue
            for item in await self._repos.news.list_news(symbol=query.symbol, limit=limit):
                if since is None or item.published >= since:
                    seen.setdefault(item.url, item)
        items = sorted(seen.values(), key=lambda i: i.published, reverse=True)[:limit]
        if language and self._translator is not None:
            items = [await self._translate(item, language) for item in items]
        return items

    def industries(self) -> list[tuple[str, str, str]]:
        """(key, English label, Korean label) of every industry, for /news help."""
        return industry_labels()

    async def _translate(self, item: NewsItem, language: str) -> NewsItem:
        if item.language == language or self._translator is None:
            return item
        try:
            title = await self._translator(item.title, language)
            summary = await self._translator(item.summary, language) if item.summary else ""
        except Exception:
            logger.warning(
                "news: translation of item %s failed; showing the original", item.url, exc_info=True
            )
            return item
        return replace(item, title=title or item.title, summary=summary or item.summary, language=language)
