"""The API over the real composition root: a migrated database (SQLite and MariaDB), the stand-in
price sources on loopback, seeded bars, events, ratings and news, and three keys (read, admin, revoked)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from api.auth import hash_secret
from core.settings import Settings, load_settings
from core.types import Bar, Interval, NewsItem, Rating, SignalEvent, SignalType
from finsignal.webapi import build_asgi_app
from storage import Database
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import daily_rows

READ_KEY = "fsk_read-key-for-tests-000000000000"
ADMIN_KEY = "fsk_admin-key-for-tests-00000000000"
REVOKED_KEY = "fsk_revoked-key-for-tests-000000000"
START = date(2024, 1, 2)
N_BARS = 320


def closes() -> list[float]:
    return [100.0 + 10.0 * math.sin(i / 15.0) + i * 0.05 for i in range(N_BARS)]


@dataclass
class ApiEnv:
    client: httpx.AsyncClient
    settings: Settings
    fake: FakeSources
    bars: list[Bar]


@pytest.fixture
def fake_sources() -> Iterator[FakeSources]:
    with FakeSources(latency_s=0.0) as fake:
        fake.add_yahoo("AAPL", daily_rows(START, closes()))
        yield fake


async def seed(db: Database) -> list[Bar]:
    """Stored history and what the pipeline would have left: an event, a rating, a headline, keys."""
    repos = db.repos
    rows = daily_rows(START, closes())
    bars = [
        Bar("AAPL", Interval.D1, datetime(r.day.year, r.day.month, r.day.day, tzinfo=UTC),
            r.open or 0, r.high or 0, r.low or 0, r.close or 0, r.volume or 0,
            adj_factor=0.5 if i < 100 else 1.0, source="yahoo")
        for i, r in enumerate(rows)
    ]  # fmt: skip
    await repos.bars.upsert_bars(bars)
    t0 = bars[-1].ts
    intraday = [
        Bar("AAPL", Interval.M5, t0 + timedelta(hours=14, minutes=5 * i), 100, 101, 99, 100.5, 10)
        for i in range(12)
    ]
    await repos.bars.upsert_bars(intraday)
    event = SignalEvent("AAPL", SignalType.GOLDEN_CROSS, Interval.D1, bars[-5].ts, bars[-5].close,
                        {"sma50": 101.0, "sma200": 100.0}, 1.0)  # fmt: skip
    await repos.events.add_events([event])
    rating = Rating("AAPL", SignalType.GOLDEN_CROSS, 20, 12, 0.64, 0.02, 0.015, 0.01, 0.01, 2.1, -0.05,
                    "B", bars[0].ts, t0, sd_return=0.04, median_drawdown=-0.03, worst_drawdown=-0.09,
                    return_risk=0.67)  # fmt: skip
    await repos.ratings.upsert_ratings([rating])
    news = NewsItem("https://example.com/a", "Apple beats estimates", "test", t0, symbols=("AAPL",),
                    industries=("tech",))  # fmt: skip
    await repos.news.add_news([news])
    now = datetime.now(UTC)
    await repos.apikeys.add_key("reader", READ_KEY[:8], hash_secret(READ_KEY), False, now)
    await repos.apikeys.add_key("admin", ADMIN_KEY[:8], hash_secret(ADMIN_KEY), True, now)
    await repos.apikeys.add_key("old", REVOKED_KEY[:8], hash_secret(REVOKED_KEY), False, now)
    await repos.apikeys.revoke_key("old", now)
    return bars


def settings_for(db: Database, fake: FakeSources, **extra: object) -> Settings:
    url = db.url.render_as_string(hide_password=False)
    return load_settings(database_url=url, **fake.settings_overrides(), **extra)


@pytest.fixture
async def api(db: Database, fake_sources: FakeSources) -> AsyncIterator[ApiEnv]:
    """httpx against the ASGI app (lifespan run), on [sqlite] and [mariadb]."""
    bars = await seed(db)
    settings = settings_for(db, fake_sources, api_rate_per_minute=1000, api_max_bars=100)
    app = build_asgi_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield ApiEnv(client, settings, fake_sources, bars)
