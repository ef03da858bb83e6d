"""GET /v1/instruments?q=: search and resolution (KAU -> the front vintage, 005930 -> 005930.KS)."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Key, Services
from api.schemas import InstrumentOut, InstrumentSearch
from core.errors import SymbolError
from core.types import Instrument

router = APIRouter(tags=["instruments"])
MAX_MATCHES = 20


@router.get("/instruments", response_model=InstrumentSearch)
async def search_instruments(
    services: Services,
    _key: Key,
    q: Annotated[str, Query(min_length=1, max_length=64, description="symbol or name, ko/en")],
) -> InstrumentSearch:
    """What `q` resolves to (`005930` -> `005930.KS`, `KAU` -> the front vintage, `삼성전자` or
    `Samsung Electronics` -> `005930.KS`), and known instruments whose symbol or name (English or
    Korean) contains it, then close matches of a misspelt symbol."""
    resolved: Instrument | None = None
    suggestions: tuple[str, ...] = ()
    try:
        resolved = await services.resolver.resolve(q)
    except SymbolError as exc:
        suggestions = exc.suggestions
    found = await services.resolver.search(q, MAX_MATCHES)
    if resolved is None:
        exact = [i for i in found if i.name.casefold() == q.strip().casefold()]
        resolved = exact[0] if len(exact) == 1 else (found[0] if len(found) == 1 else None)
    for text in suggestions:
        if len(found) < MAX_MATCHES and all(i.symbol != text for i in found):
            with contextlib.suppress(SymbolError):
                found.append(await services.resolver.resolve(text))
    return InstrumentSearch(
        query=q,
        resolved=None if resolved is None else InstrumentOut.of(resolved),
        matches=[InstrumentOut.of(i) for i in found],
    )
