"""GET /v1/signals?symbol=&types=&since= and GET /v1/ratings/{symbol}."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Key, Services
from api.errors import ApiError
from api.schemas import RatingOut, RatingsOut, SignalOut
from core.timeutil import ensure_utc
from core.types import SignalType

router = APIRouter(tags=["signals"])


def _types(text: str | None) -> set[SignalType] | None:
    if not text:
        return None
    out: set[SignalType] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        try:
            out.add(SignalType(part))
        except ValueError:
            known = ", ".join(t.value for t in SignalType)
            raise ApiError(422, "unknown_signal_type", f"types: unknown {part}; known: {known}") from None
    return out


@router.get("/signals", response_model=list[SignalOut])
async def list_signals(
    services: Services,
    _key: Key,
    symbol: Annotated[str | None, Query()] = None,
    types: Annotated[str | None, Query(description="comma-separated signal types")] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[SignalOut]:
    """Signal events, newest first."""
    wanted = _types(types)
    resolved = None if symbol is None else (await services.resolver.resolve(symbol)).symbol
    fetch = limit if wanted is None else 500
    floor = None if since is None else ensure_utc(since)
    events = await services.repos.events.list_events(resolved, floor, fetch)
    picked = [e for e in events if wanted is None or e.name in wanted][:limit]  # combo:A+B: not a type
    return [SignalOut.of(e) for e in picked]


@router.get("/ratings/{symbol}", response_model=RatingsOut)
async def get_ratings(symbol: str, services: Services, _key: Key) -> RatingsOut:
    """The backtest ratings of every (signal, horizon) of `symbol`."""
    inst = await services.resolver.resolve(symbol, verify=True)
    ratings = await services.repos.ratings.list_ratings(inst.symbol)
    return RatingsOut(symbol=inst.symbol, ratings=[RatingOut.of(r) for r in ratings])
