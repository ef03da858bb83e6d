"""Keeping the KRX listing (issue 21): new listings, delistings and trading halts, refreshed daily.

- The day's listing (`KrxListingSource`) is compared with the stored one: codes not known before are
  new listings; stored listed or halted codes missing from it are delisted since that day.
- Halts come from KIS (`temp_stop_yn` of the current price, SOURCES.md section 9: KRX publishes no
  halt list) for the stocks asked about (the watched ones): a halted stock is marked, a marked one
  that trades again is listed again.
- A listing that shrank by more than `MAX_SHRINK` against the stored one is refused (a cut-off file must
  not delist half the market); nothing is changed and the refresh fails, to be retried next run.
- The first refresh only records the listing: nothing is "new" on an empty table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from core.errors import DataError
from core.ports import Repositories
from core.timeutil import Clock, SystemClock
from core.types import Instrument, Listing, ListingStatus, Market
from market.resolver import CATALOGUE
from market.sources import kis
from market.sources.krx_listing import KrxListingSource

logger = logging.getLogger(__name__)

HALTS_TTL_S = 30.0
MAX_SHRINK = 0.2  # a listing smaller than 80% of the stored one is taken for a broken file


@dataclass(slots=True)
class ListingChanges:
    """What one refresh changed."""

    day: date | None = None
    total: int = 0
    new: list[Listing] = field(default_factory=list)
    delisted: list[Listing] = field(default_factory=list)
    halted: list[Listing] = field(default_factory=list)
    resumed: list[Listing] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.total} listed on {self.day}: {len(self.new)} new, {len(self.delisted)} delisted, "
            f"{len(self.halted)} halted, {len(self.resumed)} resumed"
        )


def code_of(symbol: str) -> str:
    """'005930.KS' -> '005930' (the listing's key)."""
    return symbol.split(".", 1)[0].upper()


def symbol_of(listing: Listing) -> str:
    """The instrument symbol of a listed stock: KOSDAQ (and KONEX) on .KQ, KOSPI on .KS."""
    return f"{listing.code}.{'KS' if listing.market == 'KOSPI' else 'KQ'}"


async def kis_halted(source: kis.KisSource, inst: Instrument) -> bool:
    """True when KIS says trading in `inst` is suspended (`temp_stop_yn` = 'Y' on the current price)."""
    params = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": code_of(inst.symbol)}
    body, _ = await source.request(kis.QUOTES + "inquire-price", "FHKST01010100", params)
    out = body.get("output")
    return isinstance(out, dict) and str(out.get("temp_stop_yn", "")).upper() == "Y"


def _english(code: str) -> str:
    """The English name the catalogue knows for a KRX code (the listing file has only Korean names)."""
    for board in ("KS", "KQ"):
        entry = CATALOGUE.get(f"{code}.{board}")
        if entry is not None and entry.name.isascii():
            return entry.name
    return ""


class ListingKeeper:
    """Refreshes the stored listing from the day's file and the halts from KIS."""

    def __init__(
        self,
        repos: Repositories,
        source: KrxListingSource,
        kis_source: kis.KisSource | None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._repos = repos
        self._source = source
        self._kis = kis_source
        self._clock: Clock = clock or SystemClock()
        self._halted: tuple[float, frozenset[str]] = (-1e18, frozenset())

    async def refresh(self, watched: Iterable[Instrument] = ()) -> ListingChanges:
        day, rows = await self._source.latest()
        known = {x.code: x for x in await self._repos.listings.list_listings()}
        live = {c for c, x in known.items() if x.status is not ListingStatus.DELISTED}
        if live and len(rows) < (1 - MAX_SHRINK) * len(live):
            raise DataError(
                f"KRX listing of {day} holds {len(rows)} stocks against {len(live)} stored: "
                "taken for a broken file, nothing changed"
            )
        changes = ListingChanges(day=day, total=len(rows))
        fresh = {r.code: r for r in rows}
        out: list[Listing] = []
        for code, r in fresh.items():
            old = known.get(code)
            if old is None or old.status is ListingStatus.DELISTED:
                name_en = old.name_en if old else _english(code)
                item = Listing(code, r.name, r.market, ListingStatus.LISTED, day, name_en)
                out.append(item)
                if known:
                    changes.new.append(item)
            elif (old.name, old.market) != (r.name, r.market):
                out.append(replace(old, name=r.name, market=r.market))
        for code in sorted(live - fresh.keys()):
            gone = replace(known[code], status=ListingStatus.DELISTED, since=day)
            out.append(gone)
            changes.delisted.append(gone)
        await self._repos.listings.upsert_listings(out)
        await self._halts(watched, day, changes)
        logger.info("listings refreshed: %s", changes.summary())
        return changes

    async def _halts(self, watched: Iterable[Instrument], day: date, changes: ListingChanges) -> None:
        if self._kis is None:
            return
        updates: list[Listing] = []
        for inst in watched:
            if inst.market != Market.KRX:
                continue
            listing = await self._repos.listings.get_listing(code_of(inst.symbol))
            if listing is None or listing.status is ListingStatus.DELISTED:
                continue
            try:
                halted = await kis_halted(self._kis, inst)
            except Exception as exc:  # one stock must not stop the others
                logger.warning("halt status of %s unknown: %s", inst.symbol, exc)
                continue
            if halted and listing.status is ListingStatus.LISTED:
                item = replace(listing, status=ListingStatus.HALTED, since=day)
                changes.halted.append(item)
                updates.append(item)
            elif not halted and listing.status is ListingStatus.HALTED:
                item = replace(listing, status=ListingStatus.LISTED, since=day)
                changes.resumed.append(item)
                updates.append(item)
        await self._repos.listings.upsert_listings(updates)
        self._halted = (-1e18, frozenset())  # read again on the next question

    async def halted_codes(self) -> set[str]:
        return {x.code for x in await self._repos.listings.list_listings(status=ListingStatus.HALTED)}

    async def is_halted(self, inst: Instrument) -> bool:
        """True when `inst` is a KRX stock marked halted (the halted codes are re-read every
        `HALTS_TTL_S` seconds: quotes are served thousands of times a second)."""
        if inst.market != Market.KRX:
            return False
        now = self._clock.now().timestamp()
        at, codes = self._halted
        if now - at > HALTS_TTL_S:
            codes = frozenset(await self.halted_codes())
            self._halted = (now, codes)
        return code_of(inst.symbol) in codes
