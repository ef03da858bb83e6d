"""GET /v1/instruments?q=: search and resolution (KAU -> the front vintage, 005930 -> 005930.KS)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Key, Services
from api.schemas import InstrumentOut, InstrumentSearch
from core.errors import SymbolError

router = APIRouter(tags=["instruments"])
MAX_MATCHES = 20


@router.get("/instruments", response_model=InstrumentSearch)
async def search_instruments(
    services: Services,
    _key: Key,
    q: Annotated[str, Query(min_length=1, max_length=64, description="symbol or name, ko/en")],
) -> InstrumentSearch:
    """What `q` resolves to, and stored instruments whose symbol or name contains it."""
    resolved = None
    suggestions: tuple[str, ...] = ()
    try:
        resolved = InstrumentOut.of(await services.resolver.resolve(q))
    except SymbolError as exc:
        suggestions = exc.suggestions
    needle = q.strip().casefold()
    stored = await services.repos.instruments.list_instruments()
    matches = [
        InstrumentOut.of(i)
        for i in stored
        if needle in i.symbol.casefold() or needle in i.name.casefold() or i.symbol in suggestions
    ]
    return InstrumentSearch(query=q, resolved=resolved, matches=matches[:MAX_MATCHES])
