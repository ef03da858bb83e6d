"""Understanding a /news query: an industry (Korean or English) or an instrument (symbol or name)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.errors import UsageError
from news.classify import KETS_VINTAGE
from news.taxonomy import Taxonomy, default_taxonomy

_SYMBOL = re.compile(r"^[A-Z0-9^][A-Z0-9.\-=^]{0,19}$")


@dataclass(frozen=True, slots=True)
class Query:
    """What to list: items of one symbol, of one industry, or (both None) everything."""

    symbol: str | None = None
    industry: str | None = None


def industry_labels(taxonomy: Taxonomy | None = None) -> list[tuple[str, str, str]]:
    """(key, English label, Korean label) of every industry in the taxonomy."""
    tax = taxonomy or default_taxonomy()
    return [(m.key, m.en, m.ko) for m in tax.industries]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def find_industry(text: str, taxonomy: Taxonomy | None = None, *, keywords: bool = True) -> str | None:
    """The industry key for a key, a label, part of a label ('crypto', '가상자산') or, with
    `keywords`, one of its keywords ('chips', '전기차')."""
    tax = taxonomy or default_taxonomy()
    q = _norm(text)
    if not q:
        return None
    for m in tax.industries:
        names = {
            m.key,
            m.en,
            m.ko,
            *re.split(r"\s*[·&/]\s*|\s+and\s+", m.en),
            *re.split(r"\s*[·&/]\s*", m.ko),
        }
        if q in {_norm(n) for n in names if n}:
            return m.key
    if keywords:
        for m in tax.industries:
            if q in {_norm(k) for k in tax.raw_industry_keywords.get(m.key, ())}:
                return m.key
    return None


def _known_instrument(text: str, tax: Taxonomy) -> str | None:
    raw = unicodedata.normalize("NFKC", text).strip()
    for m in tax.instruments:
        if (m.keywords is not None and m.keywords.fullmatch(raw)) or _norm(raw) in (
            _norm(m.en),
            _norm(m.key),
        ):
            return m.key
    return None


def find_symbol(text: str, taxonomy: Taxonomy | None = None) -> str | None:
    """The symbol for an instrument name ('삼성전자', 'Samsung Electronics'), a bare KRX code
    ('005930') or a ticker ('fco2.de' -> 'FCO2.DE'); None if `text` cannot be a symbol."""
    tax = taxonomy or default_taxonomy()
    known = _known_instrument(text, tax)
    if known is not None:
        return known
    upper = unicodedata.normalize("NFKC", text).strip().upper().lstrip("$")
    vintage = KETS_VINTAGE.fullmatch(upper)
    if vintage:
        return vintage.group(1)  # news about KAU25 is news about KAU
    if upper.isdigit() and len(upper) == 6:
        codes = [m.key for m in tax.instruments if m.key.startswith(upper + ".")]
        return codes[0] if codes else f"{upper}.KS"
    return upper if _SYMBOL.match(upper) else None


def resolve_query(query: str | None, taxonomy: Taxonomy | None = None) -> Query:
    """Turn /news's argument into a Query. Raises UsageError when it is neither an industry nor a symbol."""
    if query is None or not query.strip():
        return Query()
    tax = taxonomy or default_taxonomy()
    # Order: industry names, known instruments, industry keywords, then anything shaped like a ticker.
    industry = find_industry(query, tax, keywords=False)
    if industry is not None:
        return Query(industry=industry)
    known = _known_instrument(query, tax)
    if known is not None:
        return Query(symbol=known)
    industry = find_industry(query, tax)
    if industry is not None:
        return Query(industry=industry)
    symbol = find_symbol(query, tax)
    if symbol is not None:
        return Query(symbol=symbol)
    keys = ", ".join(k for k, _, _ in industry_labels(taxonomy))
    raise UsageError(f"{query.strip()[:40]!r} is neither a symbol nor an industry. Industries: {keys}")
