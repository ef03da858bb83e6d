"""GET /v1/carbon/history?period=1m|3m|1y|all: EU carbon (FCO2.DE, EUR) and Korean carbon (the KAU
front vintage, KRW) aligned by date for a dual-market chart. A market closed on a date carries its
previous close forward, marked `*_carried: true`; before its first close the value is null."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import Key, Services
from core.types import Bar, Interval

router = APIRouter(tags=["carbon"])
EU = "FCO2.DE"
DAYS = {"1m": 31, "3m": 92, "1y": 366}


class CarbonDay(BaseModel):
    date: date
    eu: float | None
    eu_carried: bool
    kau: float | None
    kau_carried: bool


class CarbonHistory(BaseModel):
    eu_symbol: str
    eu_currency: str
    kau_symbol: str
    kau_currency: str
    period: str
    days: list[CarbonDay]


def align(eu: list[Bar], kau: list[Bar]) -> list[CarbonDay]:
    """One row per date either market traded; the other's last close carried forward and marked."""
    eu_by = {b.ts.date(): b.close for b in eu}
    kau_by = {b.ts.date(): b.close for b in kau}
    out: list[CarbonDay] = []
    last_eu: float | None = None
    last_kau: float | None = None
    for day in sorted(eu_by.keys() | kau_by.keys()):
        eu_today, kau_today = eu_by.get(day), kau_by.get(day)
        last_eu = eu_today if eu_today is not None else last_eu
        last_kau = kau_today if kau_today is not None else last_kau
        out.append(
            CarbonDay(
                date=day,
                eu=last_eu,
                eu_carried=eu_today is None and last_eu is not None,
                kau=last_kau,
                kau_carried=kau_today is None and last_kau is not None,
            )
        )
    return out


@router.get("/carbon/history", response_model=CarbonHistory)
async def carbon_history(
    services: Services,
    _key: Key,
    period: Annotated[Literal["1m", "3m", "1y", "all"], Query()] = "1y",
) -> CarbonHistory:
    eu_inst = await services.resolver.resolve(EU)
    kau_inst = await services.resolver.resolve("KAU")
    bars = services.repos.bars
    last = [b for b in (await bars.last_bar(EU), await bars.last_bar(kau_inst.symbol)) if b is not None]
    start = None
    if period != "all" and last:
        start = max(b.ts for b in last) - timedelta(days=DAYS[period])
    eu = await bars.list_bars(EU, Interval.D1, start=start)
    kau = await bars.list_bars(kau_inst.symbol, Interval.D1, start=start)
    return CarbonHistory(
        eu_symbol=eu_inst.symbol,
        eu_currency=eu_inst.currency,
        kau_symbol=kau_inst.symbol,
        kau_currency=kau_inst.currency,
        period=period,
        days=align(eu, kau),
    )
