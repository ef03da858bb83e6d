"""GET /v1/investors/{symbol}: daily net buying of a Korean stock by individuals, foreigners and
institutions (issue 21). Quantities in shares, values in KRW; positive means net buying."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import Key, Services
from api.errors import ApiError
from core.types import InvestorFlow, Market

router = APIRouter(tags=["investors"])


class NetOut(BaseModel):
    qty: float = Field(description="net shares bought (buys minus sells)")
    value: float = Field(description="net value bought, KRW")


class FlowDayOut(BaseModel):
    date: date
    close: float | None
    individual: NetOut
    foreign: NetOut
    institution: NetOut

    @classmethod
    def of(cls, f: InvestorFlow) -> FlowDayOut:
        return cls(
            date=f.day,
            close=f.close,
            individual=NetOut(qty=f.individual_qty, value=f.individual_value),
            foreign=NetOut(qty=f.foreign_qty, value=f.foreign_value),
            institution=NetOut(qty=f.institution_qty, value=f.institution_value),
        )


class InvestorsOut(BaseModel):
    symbol: str
    name: str
    currency: str = "KRW"
    days: list[FlowDayOut] = Field(description="oldest first")


@router.get("/investors/{symbol}", response_model=InvestorsOut)
async def get_investors(
    symbol: str,
    services: Services,
    _key: Key,
    days: Annotated[int, Query(ge=1, le=60, description="sessions, newest last")] = 20,
) -> InvestorsOut:
    """Net buying by investor group over the last `days` sessions (Korean stocks; KIS data)."""
    if services.investor_flows is None:
        raise ApiError(503, "unavailable", "investor flows are not served by this deployment")
    inst = await services.resolver.resolve(symbol)
    if inst.market != Market.KRX:
        raise ApiError(
            422, "unsupported_market", f"{inst.symbol}: investor flows exist for Korean stocks only"
        )
    flows = await services.investor_flows.investor_flows(inst, days=days)
    return InvestorsOut(symbol=inst.symbol, name=inst.name, days=[FlowDayOut.of(f) for f in flows])
