"""GET /v1/indicators/{symbol}?names=sma50,sma200,rsi14: the signal engine's own values."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Key, Services
from api.errors import ApiError
from api.routes.bars import date_range
from api.schemas import IndicatorsOut

router = APIRouter(tags=["indicators"])


@router.get("/indicators/{symbol}", response_model=IndicatorsOut)
async def get_indicators(
    symbol: str,
    services: Services,
    _key: Key,
    names: Annotated[str | None, Query(description="comma-separated, e.g. sma50,sma200,rsi14")] = None,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
) -> IndicatorsOut:
    """Per daily bar, the indicator values the signal engine computes (null while warming up)."""
    known = list(services.indicators.known())
    wanted = [n.strip().lower() for n in names.split(",") if n.strip()] if names else known
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        raise ApiError(
            422,
            "unknown_indicator",
            f"names: unknown {', '.join(unknown) or '(none)'}; known: {', '.join(known)}",
        )
    lo, hi = date_range(start, end)
    inst = await services.resolver.resolve(symbol, verify=True)
    ts, values = await services.indicators.series(inst.symbol, wanted, lo, hi)
    return IndicatorsOut(symbol=inst.symbol, ts=ts, values=values)
