"""Ask an instrument's primary source once whether a not-yet-known symbol exists (issue 3.1).

Only a definitive answer rejects a symbol: the source says it has no such symbol or no data for it
(`NoDataError`, e.g. Yahoo's chart.error 'Not Found'). A source outage (timeout, 5xx, 429, breaker
open, budget used up, garbage payload) never makes a valid symbol unwatchable: it is accepted and
logged, and not registered, so the next verification asks again.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Iterable

from core.errors import SourceError, SymbolError
from core.ports import PriceSource, Repositories
from core.types import Instrument, Market
from market import resolver
from market.errors import NoDataError

logger = logging.getLogger(__name__)

# markets whose symbols come from plain patterns (anything well-formed passes the resolver)
VERIFIED_MARKETS = frozenset({Market.US, Market.XETRA, Market.KRX})


async def is_known(inst: Instrument, repos: Repositories) -> bool:
    """Curated, stored, or with stored bars: no need to ask a source."""
    if inst.symbol in resolver.CATALOGUE or inst.market not in VERIFIED_MARKETS:
        return True
    if await repos.instruments.get_instrument(inst.symbol) is not None:
        return True
    return await repos.bars.last_bar(inst.symbol) is not None


async def suggest(symbol: str, repos: Repositories, extra: Iterable[str] = ()) -> list[str]:
    """Close matches from the catalogue, its aliases and the instruments stored in the database."""
    try:
        stored = [i.symbol for i in await repos.instruments.list_instruments(active_only=False)]
    except Exception as exc:  # suggestions are a courtesy: never fail the answer over them
        logger.warning("could not list stored instruments for suggestions: %s", exc)
        stored = []
    names = [*resolver.CATALOGUE, *resolver.ALIASES, *stored, *extra]
    found = difflib.get_close_matches(symbol, [n for n in names if n != symbol], n=5, cutoff=0.6)
    return list(dict.fromkeys(resolver.ALIASES.get(f, f) for f in found))


async def exists_at_source(inst: Instrument, source: PriceSource, timeout_s: float) -> bool | None:
    """True: the source has it; False: the source says it has no such symbol; None: cannot tell."""
    try:
        async with asyncio.timeout(timeout_s):
            await source.fetch_quote(inst)
    except NoDataError as exc:
        logger.info("symbol %s unknown at %s: %s", inst.symbol, source.name, exc)
        return False
    except (SourceError, TimeoutError) as exc:
        logger.warning("could not verify %s at %s (accepting it): %s", inst.symbol, source.name, exc)
        return None
    return True


async def verify(
    inst: Instrument, repos: Repositories, sources: dict[str, PriceSource], timeout_s: float
) -> Instrument:
    """`inst` if its primary source knows it (registered in repos.instruments) or cannot be asked;
    SymbolError with suggestions if the source says there is no such symbol."""
    if await is_known(inst, repos):
        return inst
    source = sources.get(inst.sources[0]) if inst.sources else None
    if source is None:
        return inst
    found = await exists_at_source(inst, source, timeout_s)
    if found is None:
        return inst
    if found:
        await repos.instruments.upsert_instruments([inst])
        return inst
    raise SymbolError(inst.symbol, "unknown symbol", await suggest(inst.symbol, repos))
