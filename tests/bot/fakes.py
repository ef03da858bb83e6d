"""Fake services for the bot's ports (market, signals, news, health); repositories are real SQLite."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.services import BotServices
from core.errors import SymbolError, TransientSourceError
from core.ports import Repositories
from core.settings import Settings
from core.types import Bar, Instrument, Interval, Market, NewsItem, Quote

NOW = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # 09:00 KST

INSTRUMENTS = {
    "FCO2.DE": Instrument(
        "FCO2.DE", "SparkChange Physical Carbon EUA ETC", Market.XETRA, "EUR", "Europe/Berlin"
    ),
    "KAU25": Instrument("KAU25", "Korean Allowance Unit 2025", Market.KETS, "KRW", "Asia/Seoul"),
    "005930.KS": Instrument("005930.KS", "Samsung Electronics", Market.KRX, "KRW", "Asia/Seoul"),
    "EUA-AUCTION": Instrument("EUA-AUCTION", "EU ETS primary auction", Market.EEX, "EUR", "Europe/Berlin"),
    "EVIL": Instrument("EVIL", "<script>alert(1)</script> & Co", Market.US, "USD", "America/New_York"),
}
ALIASES = {"KAU": "KAU25", "SAMSUNG": "005930.KS"}


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class FakeResolver:
    async def resolve(self, text: str, *, verify: bool = False) -> Instrument:
        key = ALIASES.get(text.upper(), text.upper())
        if key in INSTRUMENTS:
            return INSTRUMENTS[key]
        close = [s for s in INSTRUMENTS if s.startswith(key[:3])]
        raise SymbolError(text, suggestions=close)


@dataclass
class FakeQuotes:
    calls: int = 0
    failing: set[str] = field(default_factory=set)

    async def quote(self, instrument: Instrument) -> tuple[Quote, float]:
        self.calls += 1
        if instrument.symbol in self.failing:
            raise TransientSourceError("yahoo", "timeout")
        price = {"FCO2.DE": 71.25, "KAU25": 9150.0, "EUA-AUCTION": 70.1}.get(instrument.symbol, 100.0)
        q = Quote(
            instrument.symbol,
            price,
            NOW,
            "yahoo",
            prev_close=price * 0.98,
            day_high=price * 1.01,
            day_low=price * 0.97,
            high_52w=price * 1.3,
            low_52w=price * 0.7,
            sma200=price * 0.95,
            rsi14=61.5,
        )
        return q, 12.0


class FakeIndicators:
    async def snapshot(self, symbol: str) -> Mapping[str, float | None]:
        return {
            "close": 71.25,
            "sma50": 69.0,
            "sma200": 66.5,
            "rsi14": 61.5,
            "volume": 1_250_000.0,
            "vol_avg20": 1e6,
        }


def make_bars(symbol: str, n: int, end: datetime = NOW) -> list[Bar]:
    start = end - timedelta(days=n)
    bars = []
    for i in range(n):
        c = 60 + 10 * math.sin(i / 25) + i * 0.02
        bars.append(Bar(symbol, Interval.D1, start + timedelta(days=i), c - 0.5, c + 1, c - 1, c, 1000 + i))
    return bars


class FakeHistory:
    async def bars(self, symbol: str, days: int) -> list[Bar]:
        return make_bars(symbol, days)


class FakeBacktests:
    """Like finsignal's BacktestRunner: SymbolError for a symbol without stored history."""

    async def run(self, symbol: str) -> str:
        if symbol == "EUA-AUCTION":
            raise SymbolError(symbol, "no price history available")
        return f"{symbol}: golden_cross 20d hit 64% n=11 <b>"


@dataclass
class FakeNews:
    items: list[NewsItem] = field(default_factory=list)

    async def latest(self, query: str | None, limit: int) -> list[NewsItem]:
        return [i for i in self.items if query is None or query.upper() in i.symbols][:limit]


class FakeHealth:
    async def report(self) -> Mapping[str, Any]:
        return {
            "cpu_percent": 3.5,
            "sources": {"yahoo": "closed", "krx": "open"},
            "jobs": ["update_prices ok"],
        }


@dataclass
class FakeFollowups:
    """Records the symbols /watch asked the scheduler to rate soon."""

    watched_symbols: list[str] = field(default_factory=list)

    def watched(self, symbol: str) -> None:
        self.watched_symbols.append(symbol)


def make_services(repos: Repositories, **overrides: Any) -> BotServices:
    base: dict[str, Any] = {
        "repos": repos,
        "resolver": FakeResolver(),
        "quotes": FakeQuotes(),
        "indicators": FakeIndicators(),
        "history": FakeHistory(),
        "backtests": FakeBacktests(),
        "news": FakeNews(
            [
                NewsItem(
                    "https://example.com/a?x=1&y=2",
                    "EU carbon <hits> record & more",
                    "Reuters",
                    NOW,
                    symbols=("FCO2.DE",),
                )
            ]
        ),
        "health": FakeHealth(),
        "followups": FakeFollowups(),
    }
    base.update(overrides)
    return BotServices(**base)


ADMIN_ID = 999


def make_settings(
    tg_base_url: str = "http://127.0.0.1:9/bot", token: str = "123456:TEST-token", **kw: Any
) -> Settings:
    values: dict[str, Any] = {
        "telegram_token": token,
        "telegram_base_url": tg_base_url,
        "telegram_base_file_url": tg_base_url.replace("/bot", "/file/bot"),
        "admin_ids": [ADMIN_ID],
        "watchlist_limit_free": 3,
        "watchlist_limit_premium": 5,
        "command_rate_per_minute": 20,
        "default_language": "en",
    }
    values.update(kw)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
