"""Deterministic fixture data for the ask tests and bench/ask.py: instruments, daily bars, signals,
ratings, news, investor flows and a few private rows (chats, watches, outbox, API keys) that questions
must never read.

Prices are seeded random walks; `TODAY` is the KST date the labelled questions are asked on.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from core.ports import Repositories
from core.types import Bar, Instrument, Interval, InvestorFlow, NewsItem, Rating, SignalEvent, SignalType
from market.resolver import by_pattern

TODAY = date(2026, 12, 7)  # a Monday; the last bar is Friday 2026-12-04
LONG = ("AAPL",)  # from 2009 (for "in 2010")
SYMBOLS = ("AAPL", "MSFT", "NVDA", "TSLA", "005930.KS", "000660.KS", "KAU25", "KAU26", "FCO2.DE")
START_SHORT = date(2024, 1, 1)
START_LONG = date(2009, 1, 1)
WATCHLIST = ("AAPL", "005930.KS", "KAU25")
FLOW_SYMBOLS = ("005930.KS", "000660.KS", "035420.KS", "373220.KS")  # the last two: flows only
FLOW_START = date(2026, 8, 3)


def instruments() -> list[Instrument]:
    out = []
    for symbol in SYMBOLS:
        inst = by_pattern(symbol)
        assert inst is not None, symbol
        out.append(inst)
    return out


def _days(start: date, end: date) -> list[date]:
    d, out = start, []
    while d <= end:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def bars(symbol: str) -> list[Bar]:
    rng = random.Random(symbol)
    start = START_LONG if symbol in LONG else START_SHORT
    price = {"005930.KS": 60000.0, "000660.KS": 120000.0, "KAU25": 9000.0, "KAU26": 9500.0}.get(symbol, 100.0)
    tick = 100.0 if symbol.endswith(".KS") else 5.0 if symbol.startswith("KAU") else 0.01
    out = []
    for d in _days(start, TODAY - timedelta(days=3)):
        price = max(tick * 10, price * (1 + rng.gauss(0.0004, 0.018)))
        close = round(round(price / tick) * tick, 2)
        high = round(close * (1 + abs(rng.gauss(0, 0.008))), 2)
        low = round(close * (1 - abs(rng.gauss(0, 0.008))), 2)
        volume = float(rng.randint(1_000, 5_000_000))
        ts = datetime(d.year, d.month, d.day, tzinfo=UTC)
        out.append(Bar(symbol, Interval.D1, ts, close, high, low, close, volume))
    return out


# the seven types the fixture's random draws (and the golden answers) were made with; issue 24's
# Bollinger, 52-week and pattern types are left out so that the draws stay the same
KINDS = list(SignalType)[:7]


def events(all_bars: dict[str, list[Bar]]) -> list[SignalEvent]:
    rng = random.Random(7)
    kinds = KINDS
    out = []
    for symbol, series in all_bars.items():
        recent = [b for b in series if b.ts.date() >= date(2025, 1, 1)]
        for bar in rng.sample(recent, 14):
            kind = rng.choice(kinds)
            out.append(SignalEvent(symbol, kind, Interval.D1, bar.ts, bar.close, {"sma50": bar.close}, 1.0))
    return out


def ratings() -> list[Rating]:
    rng = random.Random(11)
    out = []
    start, end = datetime(2016, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    for symbol in SYMBOLS:
        for kind in KINDS:
            for horizon in (5, 20, 60):
                t = round(rng.uniform(-2, 4), 3)
                count = rng.randint(5, 60)
                grade = (
                    "insufficient data"
                    if count < 10
                    else "A"
                    if t >= 3
                    else "B"
                    if t >= 2
                    else "C"
                    if t >= 1
                    else "D"
                    if t >= 0
                    else "F"
                )
                hit, mean = rng.uniform(0.3, 0.7), rng.uniform(-0.02, 0.04)
                out.append(
                    Rating(symbol, kind, horizon, count, hit, mean, 0.0, 0.0, 0.0, t, -0.1, grade, start, end)
                )
    return out


def _grade(count: int, t: float) -> str:
    if count < 10:
        return "insufficient data"
    return next((g for g, floor in (("A", 3), ("B", 2), ("C", 1), ("D", 0)) if t >= floor), "F")


def news() -> list[NewsItem]:
    rng = random.Random(13)
    keys = [
        "semiconductors",
        "carbon",
        "energy",
        "banks",
        "autos",
        "batteries",
        "biotech",
        "shipbuilding",
        "blockchain",
    ]
    out = []
    for i in range(300):
        published = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 24 * 185))
        inds = tuple(sorted(set(rng.sample(keys, rng.choice([0, 1, 1, 2])))))
        out.append(NewsItem(f"https://news.example/{i}", f"Headline {i}", "fake", published, industries=inds))
    return out


def flows() -> list[InvestorFlow]:
    """Daily net buying by investor group (KRW, rounded to the million as KIS gives it) since FLOW_START;
    the three groups roughly cancel out, as they do on the exchange."""
    rng = random.Random(17)
    out = []
    for symbol in FLOW_SYMBOLS:
        close = {"005930.KS": 60000.0, "000660.KS": 120000.0, "035420.KS": 200000.0}.get(symbol, 350000.0)
        bias = rng.uniform(-4e9, 4e9)
        for d in _days(FLOW_START, TODAY - timedelta(days=3)):
            foreign = round((bias + rng.gauss(0, 2e10)) / 1e6) * 1e6
            institution = round(rng.gauss(0, 1.2e10) / 1e6) * 1e6
            individual = -(foreign + institution) + round(rng.gauss(0, 1e9) / 1e6) * 1e6
            qty = [round(v / close) for v in (individual, foreign, institution)]
            out.append(InvestorFlow(symbol, d, close, *qty, individual, foreign, institution, "fixture"))
    return out


async def load(repos: Repositories) -> dict[str, list[Bar]]:
    """Store everything; returns the bars by symbol (the tests' oracle works on these)."""
    await repos.instruments.upsert_instruments(instruments())
    all_bars = {s: bars(s) for s in SYMBOLS}
    for series in all_bars.values():
        await repos.bars.upsert_bars(series)
    await repos.events.add_events(events(all_bars))
    await repos.ratings.upsert_ratings(ratings())
    await repos.news.add_news(news())
    await repos.flows.upsert_flows(flows())
    return all_bars


async def load_private(repos: Repositories) -> None:
    """Rows that questions must never read: a chat, its watchlist, an outbox message, an API key."""
    from core.types import Chat, ChatKind, OutboxMessage, Watch

    await repos.chats.upsert_chat(Chat(chat_id=424242, kind=ChatKind.PRIVATE, title="secret chat"))
    await repos.watches.upsert_watch(Watch(chat_id=424242, symbol="AAPL"))
    await repos.outbox.enqueue([OutboxMessage(dedup_key="k1", chat_id=424242, text="private alert")])
