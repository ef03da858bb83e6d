"""GET /v1/quotes/{symbol} and GET /v1/quotes?symbols=A,B from the hot quote cache."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Key, Services
from api.errors import ApiError
from api.schemas import QuoteOut, QuotesOut
from api.services import ApiServices
from core.errors import FinsignalError, SymbolError
from core.types import Instrument

router = APIRouter(tags=["quotes"])
MAX_SYMBOLS = 50


@router.get("/quotes/{symbol}", response_model=QuoteOut)
async def get_quote(symbol: str, services: Services, _key: Key) -> QuoteOut:
    """The latest quote: price, change vs previous close, day and 52-week range, source, staleness."""
    inst = await services.resolver.resolve(symbol, verify=True)
    quote, age = await services.quotes.quote(inst)
    return QuoteOut.of(quote, age, services.limits.quote_max_age_s, halted=await _halted(services, inst))


@router.get("/quotes", response_model=QuotesOut)
async def get_quotes(
    services: Services,
    _key: Key,
    symbols: Annotated[str, Query(description="comma-separated symbols", min_length=1)],
) -> QuotesOut:
    """Quotes of several symbols; one that fails is listed under `errors`, the rest still answer."""
    wanted = list(dict.fromkeys(s.strip() for s in symbols.split(",") if s.strip()))
    if not wanted:
        raise ApiError(422, "invalid_request", "symbols: give at least one symbol")
    if len(wanted) > MAX_SYMBOLS:
        raise ApiError(422, "too_many_symbols", f"symbols: at most {MAX_SYMBOLS} per request")

    async def one(text: str) -> QuoteOut:
        inst = await services.resolver.resolve(text, verify=True)
        quote, age = await services.quotes.quote(inst)
        return QuoteOut.of(quote, age, services.limits.quote_max_age_s, halted=await _halted(services, inst))

    outcomes = await asyncio.gather(*(one(s) for s in wanted), return_exceptions=True)
    quotes: list[QuoteOut] = []
    errors: dict[str, dict[str, Any]] = {}
    for text, outcome in zip(wanted, outcomes, strict=True):
        if isinstance(outcome, QuoteOut):
            quotes.append(outcome)
        elif isinstance(outcome, SymbolError):
            errors[text] = {
                "code": "unknown_symbol",
                "message": f"{outcome.symbol}: {outcome.reason}",
                "suggestions": list(outcome.suggestions),
            }
        elif isinstance(outcome, FinsignalError):
            errors[text] = {"code": "source_unavailable", "message": "no price available"}
        else:
            raise outcome
    return QuotesOut(quotes=quotes, errors=errors)


async def _halted(services: ApiServices, inst: Instrument) -> bool:
    """Whether trading in `inst` is halted (KRX stocks; cached by the listing keeper)."""
    return services.halts is not None and await services.halts.is_halted(inst)
