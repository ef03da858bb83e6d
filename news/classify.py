"""Classification of a headline: instruments mentioned, industries, and kind. Pure and synchronous."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from news.taxonomy import Matcher, Taxonomy, compile_keywords, default_taxonomy


class NewsKind(StrEnum):
    """What a headline is about. Values are stored with the item."""

    MARKET_TREND = "market_trend"
    COMPANY_EVENT = "company_event"
    ECONOMIC_INDICATOR = "economic_indicator"
    REGULATION = "regulation"


@dataclass(frozen=True, slots=True)
class Classification:
    """The result of `classify`: symbols and industry keys sorted, and the kind."""

    symbols: tuple[str, ...]
    industries: tuple[str, ...]
    kind: NewsKind


# "(NASDAQ: NVDA)", "(NYSE:XOM)" and cashtags "$TSLA" name US tickers outside the taxonomy too.
_EXCHANGE_TAG = re.compile(
    r"\((?:NYSE|NASDAQ|Nasdaq|NYSE American|AMEX|OTC)\s*:\s*([A-Z]{1,5}(?:\.[A-Z])?)\)"
)
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Z]{1,5})(?![\w])")
# K-ETS vintages (KAU25, KCU24, KOC25) also count as the product itself (KAU, KCU, KOC).
KETS_VINTAGE = re.compile(r"(?<![A-Za-z0-9])(KAU|KCU|KOC)(\d{2})(?![A-Za-z0-9])")


class Classifier:
    """Classifies text against a taxonomy; `extra_instruments` adds (symbol, names) known elsewhere."""

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        extra_instruments: Iterable[tuple[str, Iterable[str]]] = (),
    ) -> None:
        self.taxonomy = taxonomy or default_taxonomy()
        known = {m.key for m in self.taxonomy.instruments}
        extra = tuple(
            Matcher(
                key=sym,
                en=sym,
                ko="",
                keywords=compile_keywords([n for n in names if len(n) >= 3]),
                exclude=None,
            )
            for sym, names in extra_instruments
            if sym not in known
        )
        self._instruments = self.taxonomy.instruments + extra
        names = [p.pattern for p in (m.keywords for m in self._instruments) if p is not None]
        self._any_instrument = re.compile("|".join(names)) if names else None

    def classify(self, title: str, summary: str = "", *, symbols: Iterable[str] = ()) -> Classification:
        """Classify a headline; `symbols` are known from context (e.g. the ticker feed it came from)."""
        text = f"{title}\n{summary}".strip()
        found = set(symbols)
        named: list[Matcher] = []
        if self._any_instrument is not None and self._any_instrument.search(text):
            named = [inst for inst in self._instruments if inst.hits(text)]
        found.update(inst.key for inst in named)
        found.update(_EXCHANGE_TAG.findall(text))
        found.update(_CASHTAG.findall(text))
        for product, year in KETS_VINTAGE.findall(text):
            found.update((product, product + year))
        industries = {ind.key for ind in self.taxonomy.industries if ind.hits(text)}
        if not industries:
            # No industry word at all: fall back on the industries of the companies named in the title.
            industries = {i for inst in named if inst.implies and inst.hits(title) for i in inst.implies}
        return Classification(
            symbols=tuple(sorted(found)),
            industries=tuple(sorted(industries)),
            kind=self._kind(title, summary, has_company=bool(found)),
        )

    def _kind(self, title: str, summary: str, *, has_company: bool) -> NewsKind:
        """The kind with most keyword hits (title hits count double); ties go to the earlier kind."""
        best: tuple[int, NewsKind] | None = None
        for matcher in self.taxonomy.kinds:
            score = 2 * len(matcher.hits(title)) + len(matcher.hits(summary))
            if has_company and matcher.key == NewsKind.COMPANY_EVENT:
                score += 1  # a named company tips a tie towards a company event
            if score and (best is None or score > best[0]):
                best = (score, NewsKind(matcher.key))
        if best is not None:
            return best[1]
        return NewsKind.COMPANY_EVENT if has_company else NewsKind.MARKET_TREND


_default: Classifier | None = None


def default_classifier() -> Classifier:
    """The shared classifier over the shipped taxonomy."""
    global _default
    if _default is None:
        _default = Classifier()
    return _default


def classify(title: str, summary: str = "") -> Classification:
    """Symbols, industries and kind of a headline, from the shipped keyword taxonomy."""
    return default_classifier().classify(title, summary)
