"""Response models: what clients see, apart from the domain types (converted at the edge here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from core.timeutil import KST, ensure_utc
from core.types import Bar, Instrument, NewsItem, Quote, Rating, SignalEvent


def utc(ts: datetime) -> datetime:
    return ensure_utc(ts)


class InstrumentOut(BaseModel):
    symbol: str
    name: str
    market: str
    currency: str
    timezone: str

    @classmethod
    def of(cls, inst: Instrument) -> InstrumentOut:
        return cls(
            symbol=inst.symbol,
            name=inst.name,
            market=str(inst.market),
            currency=inst.currency,
            timezone=inst.timezone,
        )


class InstrumentSearch(BaseModel):
    query: str
    resolved: InstrumentOut | None
    matches: list[InstrumentOut]


class QuoteOut(BaseModel):
    symbol: str
    price: float
    change: float | None
    change_pct: float | None
    prev_close: float | None
    day_high: float | None
    day_low: float | None
    high_52w: float | None
    low_52w: float | None
    volume: float | None
    time: datetime
    source: str
    age_s: float
    stale: bool
    halted: bool = False  # a KRX stock whose trading is suspended (no signals while halted)

    @classmethod
    def of(cls, q: Quote, age_s: float, max_age_s: float, *, halted: bool = False) -> QuoteOut:
        return cls(
            symbol=q.symbol,
            price=q.price,
            change=q.change,
            change_pct=q.change_pct,
            prev_close=q.prev_close,
            day_high=q.day_high,
            day_low=q.day_low,
            high_52w=q.high_52w,
            low_52w=q.low_52w,
            volume=q.volume,
            time=utc(q.ts),
            source=q.source,
            age_s=round(age_s, 3),
            stale=age_s > max_age_s,
            halted=halted,
        )


class QuotesOut(BaseModel):
    quotes: list[QuoteOut]
    errors: dict[str, dict[str, Any]]


class BarOut(BaseModel):
    ts: datetime
    ts_kst: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    adj_factor: float

    @classmethod
    def of(cls, bar: Bar, adjusted: bool) -> BarOut:
        f = bar.adj_factor if adjusted else 1.0
        ts = utc(bar.ts)
        return cls(
            ts=ts,
            ts_kst=ts.astimezone(KST),
            open=bar.open * f,
            high=bar.high * f,
            low=bar.low * f,
            close=bar.close * f,
            volume=bar.volume,
            adj_factor=bar.adj_factor,
        )


class BarsOut(BaseModel):
    symbol: str
    interval: str
    adjusted: bool
    bars: list[BarOut]
    next_cursor: str | None


class IndicatorsOut(BaseModel):
    symbol: str
    ts: list[datetime]
    values: dict[str, list[float | None]]


class SignalOut(BaseModel):
    id: int | None
    symbol: str
    signal: str
    interval: str
    ts: datetime
    ts_kst: datetime
    close: float
    strength: float
    values: dict[str, float]

    @classmethod
    def of(cls, e: SignalEvent) -> SignalOut:
        ts = utc(e.ts)
        return cls(
            id=e.id,
            symbol=e.symbol,
            signal=e.name,  # a type, or combo:A+B
            interval=str(e.interval),
            ts=ts,
            ts_kst=ts.astimezone(KST),
            close=e.close,
            strength=e.strength,
            values=dict(e.values),
        )


class RatingOut(BaseModel):
    signal: str
    horizon: int
    count: int
    hit_rate: float | None
    mean_return: float | None
    median_return: float | None
    excess: float | None
    t_stat: float | None
    grade: str
    period_start: datetime
    period_end: datetime
    sd_return: float | None = None
    median_drawdown: float | None = None
    worst_drawdown: float | None = None
    return_risk: float | None = None

    @classmethod
    def of(cls, r: Rating) -> RatingOut:
        return cls(
            signal=str(r.signal),
            horizon=r.horizon,
            count=r.count,
            hit_rate=r.hit_rate,
            mean_return=r.mean_return,
            median_return=r.median_return,
            excess=r.excess,
            t_stat=r.t_stat,
            grade=r.grade,
            period_start=utc(r.period_start),
            period_end=utc(r.period_end),
            sd_return=r.sd_return,
            median_drawdown=r.median_drawdown,
            worst_drawdown=r.worst_drawdown,
            return_risk=r.return_risk,
        )


class RatingsOut(BaseModel):
    symbol: str
    ratings: list[RatingOut]


class NewsOut(BaseModel):
    title: str
    url: str
    source: str
    published: datetime
    summary: str
    language: str
    symbols: list[str]
    industries: list[str]

    @classmethod
    def of(cls, n: NewsItem) -> NewsOut:
        return cls(
            title=n.title,
            url=n.url,
            source=n.source,
            published=utc(n.published),
            summary=n.summary,
            language=n.language,
            symbols=list(n.symbols),
            industries=list(n.industries),
        )
