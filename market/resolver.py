"""Symbol resolution: what users type (KAU25, kau, FCO2.DE, 005930, AAPL, 삼성전자) -> one Instrument.

Order: aliases from the curated catalogue (`catalogue.json`), syntax check, K-ETS names (bare `KAU`/`KCU`
= the front vintage: the largest stored volume on the latest stored trading day; without stored data,
the current year's vintage), instruments already stored, catalogue entries, then plain patterns (US
tickers, 6-digit Korean codes, `.KS/.KQ/.DE`). Anything else is a SymbolError with suggestions.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from core.errors import SymbolError
from core.ports import Repositories
from core.types import Instrument, ListingStatus, Market

MAX_LEN = 20
_SYNTAX = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=&]{0,19}$")
_VINTAGE = re.compile(r"^(KAU|KCU)(\d{2})$")
_US = re.compile(r"^[A-Z]{1,5}([.-][A-Z]{1,2})?$")
_KR_CODE = re.compile(r"^\d{6}$")
_LISTED_CODE = re.compile(r"^\d[0-9A-Z]{5}$")  # KRX short codes (new ones hold a letter: 0088M0)
_KR = re.compile(r"^(\d{6})\.(KS|KQ)$")
_DE = re.compile(r"^([A-Z0-9]{1,8})\.DE$")

TIMEZONES = {
    Market.US: "America/New_York",
    Market.XETRA: "Europe/Berlin",
    Market.KRX: "Asia/Seoul",
    Market.KETS: "Asia/Seoul",
    Market.EEX: "Europe/Berlin",
    Market.OTHER: "UTC",
}
CURRENCIES = {
    Market.US: "USD",
    Market.XETRA: "EUR",
    Market.KRX: "KRW",
    Market.KETS: "KRW",
    Market.EEX: "EUR",
    Market.OTHER: "USD",
}


@dataclass(frozen=True, slots=True)
class _Entry:
    symbol: str
    name: str
    market: Market


def _load() -> tuple[dict[str, _Entry], dict[str, str]]:
    raw = json.loads(resources.files("market").joinpath("catalogue.json").read_text("utf-8"))
    entries: dict[str, _Entry] = {}
    aliases: dict[str, str] = {}
    for item in raw["instruments"]:
        entry = _Entry(item["symbol"], item["name"], Market(item["market"]))
        entries[entry.symbol] = entry
        for alias in item.get("aliases", []):
            aliases[alias.upper()] = entry.symbol
    return entries, aliases


CATALOGUE, ALIASES = _load()


def make_instrument(symbol: str, market: Market, name: str = "") -> Instrument:
    """The canonical Instrument for a symbol of a market, with its source route."""
    sources: tuple[str, ...]
    source_symbols: dict[str, str] = {}
    if market == Market.KETS:
        sources = ("krx",)
    elif market == Market.EEX:
        sources = ("eex",)
    elif market == Market.KRX:
        sources = ("yahoo",)
    elif market == Market.XETRA:
        sources = ("yahoo", "alphavantage")
        source_symbols["alphavantage"] = symbol.removesuffix(".DE") + ".DEX"
    else:
        sources = ("yahoo", "alphavantage")
    return Instrument(
        symbol=symbol,
        name=name or symbol,
        market=market,
        currency=CURRENCIES[market],
        timezone=TIMEZONES[market],
        sources=sources,
        source_symbols=source_symbols,
    )


def normalise(text: str) -> str:
    """Upper-case, trimmed input; SymbolError when malformed (empty, too long, odd characters)."""
    if not isinstance(text, str) or not text.strip():
        raise SymbolError(str(text), "empty symbol")
    cleaned = text.strip().upper()
    if cleaned in ALIASES:
        return ALIASES[cleaned]
    if len(cleaned) > MAX_LEN:
        raise SymbolError(cleaned[:MAX_LEN] + "…", f"symbol too long (max {MAX_LEN} characters)")
    if not _SYNTAX.match(cleaned):
        raise SymbolError(cleaned, "malformed symbol (letters, digits, '.', '-' only)", _suggest(cleaned))
    return cleaned


def _suggest(text: str) -> list[str]:
    names = [*CATALOGUE, *ALIASES, "KAU", "KCU"]
    found = difflib.get_close_matches(text, names, n=5, cutoff=0.6)
    return list(dict.fromkeys(ALIASES.get(f, f) for f in found))


def by_pattern(symbol: str) -> Instrument | None:
    """Resolve by catalogue or plain pattern, without storage."""
    if symbol in CATALOGUE:
        entry = CATALOGUE[symbol]
        return make_instrument(entry.symbol, entry.market, entry.name)
    if _VINTAGE.match(symbol):
        kind = "Korean Allowance Unit" if symbol.startswith("KAU") else "Korean Credit Unit"
        return make_instrument(symbol, Market.KETS, f"{kind} {symbol[3:]}")
    if _KR_CODE.match(symbol):
        listed = next((s for s in (f"{symbol}.KS", f"{symbol}.KQ") if s in CATALOGUE), f"{symbol}.KS")
        return by_pattern(listed)
    if _KR.match(symbol):
        return make_instrument(symbol, Market.KRX)
    if _DE.match(symbol):
        return make_instrument(symbol, Market.XETRA)
    if _US.match(symbol):
        return make_instrument(symbol, Market.US)
    return None


def front_key(alias: str) -> str:
    return f"front:{alias}"


async def current_front(repos: Repositories, alias: str) -> str | None:
    """The vintage `alias` follows now (as the daily roll in `market.vintage` last recorded it), or None
    before the first record."""
    raw = await repos.state.get_state(front_key(alias))
    return raw.decode() if raw else None


async def front_vintage(repos: Repositories, prefix: str, now: datetime, *, recorded: bool = True) -> str:
    """The vintage (e.g. KAU25) `prefix` follows: the one the daily roll recorded (`market.vintage`,
    so quotes, charts and alerts switch together), else the vintage with the largest volume on the
    latest stored trading day (`recorded=False`: always this; the roll itself asks so)."""
    if recorded:
        front = await current_front(repos, prefix)
        if front is not None:
            return front
    pattern = re.compile(rf"^{prefix}\d{{2}}$")
    best: tuple[datetime, float, str] | None = None
    for inst in await repos.instruments.list_instruments(active_only=False):
        if not pattern.match(inst.symbol):
            continue
        bar = await repos.bars.last_bar(inst.symbol)
        if bar is None:
            continue
        key = (bar.ts, bar.volume, inst.symbol)
        if best is None or key > best:
            best = key
    if best is not None:
        return best[2]
    return f"{prefix}{now.year % 100:02d}"


async def resolve(text: str, repos: Repositories, now: datetime) -> Instrument:
    """Resolve user input to a canonical Instrument; SymbolError (with suggestions) otherwise.

    A KRX stock missing from the catalogue (a new listing) resolves through the stored KRX listing, by
    its code or its Korean or English name."""
    try:
        symbol = normalise(text)
    except SymbolError:
        listed = await _listed(repos, text)
        if listed is None:
            raise
        return listed
    if symbol in ("KAU", "KCU"):
        symbol = await front_vintage(repos, symbol, now)
    stored = await repos.instruments.get_instrument(symbol)
    if stored is not None:
        return stored
    if _LISTED_CODE.match(symbol) and f"{symbol}.KS" not in CATALOGUE and f"{symbol}.KQ" not in CATALOGUE:
        listed = await _listed(repos, symbol)
        if listed is not None:
            return await repos.instruments.get_instrument(listed.symbol) or listed
    found = by_pattern(symbol)
    if found is None:
        listed = await _listed(repos, text)
        if listed is None:
            raise SymbolError(symbol, "unknown symbol", _suggest(symbol))
        return listed
    return found


async def _listed(repos: Repositories, text: str) -> Instrument | None:
    """The listed (or halted) KRX stock whose code or Korean/English name is `text`, if any."""
    if not isinstance(text, str) or not text.strip() or len(text) > 128:
        return None
    key = text.strip()
    found = await repos.listings.get_listing(key.upper()) if _LISTED_CODE.match(key.upper()) else None
    if found is None:
        found = next(iter(await repos.listings.find_listings(key)), None)
    if found is None or found.status is ListingStatus.DELISTED:
        return None
    board = "KS" if found.market == "KOSPI" else "KQ"
    return make_instrument(f"{found.code}.{board}", Market.KRX, found.name)
