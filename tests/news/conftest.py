"""Fixtures for news tests: a real local feed server, a controllable clock, settings and the service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.ports import Repositories
from core.settings import Settings
from news import NewsService
from tests.news.server import FeedServer

T0 = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
YAHOO_QUERY = "&region=US&lang=en-US"


class ManualClock:
    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def yahoo_path(symbol: str) -> str:
    from urllib.parse import quote

    return f"/rss/2.0/headline?s={quote(symbol, safe='')}{YAHOO_QUERY}"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def news_repos(sqlite_repos: Repositories) -> Repositories:
    """The real repositories over a fresh, migrated SQLite database."""
    return sqlite_repos


@pytest.fixture
def make_service(
    server: FeedServer, news_repos: Repositories, clock: ManualClock
) -> Callable[..., NewsService]:
    """Build a NewsService against the local server; keyword arguments override settings."""

    def build(translator: Any = None, repos: Repositories | None = None, **overrides: Any) -> NewsService:
        values: dict[str, Any] = {
            "yahoo_rss_base_url": server.url,
            "investing_base_url": server.url + "/inv",
            "news_investing_categories": [],
            "news_feeds": [],
            "news_timeout_s": 2.0,
        }
        values.update(overrides)
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        return NewsService(settings, repos or news_repos, clock=clock, translator=translator)

    return build
