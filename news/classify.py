"""Classification of a headline: instruments mentioned, industries, and kind. Pure and synchronous.

Industries come from the companies named in the title first (news/data/entities.csv, the taxonomy's
instruments, the instrument registry), then from the taxonomy's keywords in the title, with company
names blanked so that `LG Energy Solution` is not `energy`. Weak keywords (`loans`, `vaccine`) count
only beside their industry's context (a bank, a drugmaker) in the title or the description; otherwise
the description only confirms. Korean keywords count only as words or heads of compounds
(news.korean). The kind is the kind with most keyword hits, a named company with an event word being a
company event, and `other` when nothing matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from news.entities import Entity, EntityIndex, Hit, default_rows
from news.kinds import KindScorer, hit_spans, strip_tags
from news.taxonomy import Matcher, Taxonomy, default_taxonomy


class NewsKind(StrEnum):
    """What a headline is about. Values are stored with the item."""

    MARKET_TREND = "market_trend"
    COMPANY_EVENT = "company_event"
    ECONOMIC_INDICATOR = "economic_indicator"
    REGULATION = "regulation"
    OTHER = "other"  # none of the above: said plainly rather than guessed


@dataclass(frozen=True, slots=True)
class Classification:
    """The result of `classify`: symbols and industry keys sorted, and the kind."""

    symbols: tuple[str, ...]
    industries: tuple[str, ...]
    kind: NewsKind


# "(NASDAQ: NVDA)", "(NYSE:XOM)" and cashtags "$TSLA" name US tickers outside the listings too.
_EXCHANGE_TAG = re.compile(
    r"\((?:NYSE|NASDAQ|Nasdaq|NYSE American|AMEX|OTC)\s*:\s*([A-Z]{1,5}(?:\.[A-Z])?)\)"
)
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Z]{1,5})(?![\w])")
# K-ETS vintages (KAU25, KCU24, KOC25) also count as the product itself (KAU, KCU, KOC).
KETS_VINTAGE = re.compile(r"(?<![A-Za-z0-9])(KAU|KCU|KOC)(\d{2})(?![A-Za-z0-9])")


class Classifier:
    """Classifies text against a taxonomy and listings.

    `extra_instruments` adds (symbol, names) known elsewhere (the instrument registry)."""

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        extra_instruments: Iterable[tuple[str, Iterable[str]]] = (),
        *,
        listings: bool = True,
    ) -> None:
        self.taxonomy = taxonomy or default_taxonomy()
        rows: list[tuple[Entity, Sequence[str]]] = [
            (Entity(sym, names[0] if names else sym, industries, company=company), names)
            for sym, names, industries, company in self.taxonomy.raw_instruments
        ]
        if listings:
            rows += default_rows()
        known = {e.symbol for e, _ in rows}
        rows += [
            (Entity(sym, sym), [n for n in names if len(n) >= 3])
            for sym, names in ((s, list(n)) for s, n in extra_instruments)
            if sym not in known
        ]
        self.entities = EntityIndex(rows)
        self._kinds = KindScorer(self.taxonomy.kinds)

    def classify(self, title: str, summary: str = "", *, symbols: Iterable[str] = ()) -> Classification:
        """Classify a headline; `symbols` are known from context (e.g. the ticker feed it came from)."""
        title, summary = title.strip(), summary.strip()
        subject = strip_tags(title)
        in_title = self.entities.find(subject, context=summary)
        in_summary = self.entities.find(summary, context=title) if summary else []
        found = set(symbols)
        found.update(h.entity.symbol for h in (*in_title, *in_summary) if h.entity.symbol)
        text = f"{title}\n{summary}"
        found.update(_EXCHANGE_TAG.findall(text))
        found.update(_CASHTAG.findall(text))
        for product, year in KETS_VINTAGE.findall(text):
            found.update((product, product + year))
        industries = self._industries(subject, summary, in_title, in_summary)
        has_company = any(h.entity.company for h in in_title) or bool(
            _EXCHANGE_TAG.search(title) or _CASHTAG.search(title)
        )
        blanked = _blank_hits(subject, in_title)
        kind = self._kinds.kind(title, summary, has_company=has_company, subject=blanked)
        return Classification(tuple(sorted(found)), tuple(sorted(industries)), NewsKind(kind))

    def _industries(self, title: str, summary: str, in_title: list[Hit], in_summary: list[Hit]) -> set[str]:
        """Entities of the title, then its keywords; weak keywords need context (title or summary)."""
        subjects = [h for h in in_title if not _is_rater(title, h, in_title)]
        out = {i for h in subjects for i in h.entity.industries}
        bare = _blank_hits(title, in_title)
        bare_summary = _blank_hits(summary, in_summary)
        near = out | {i for h in in_summary for i in h.entity.industries}
        for ind in self.taxonomy.industries:
            if ind.key in out:
                continue
            if _keyword_hits(ind, bare):
                out.add(ind.key)
                continue
            weak = self.taxonomy.weak.get(ind.key)
            if weak is None or not _keyword_hits(weak[0], bare):
                continue
            context = weak[1]
            if ind.key in near or _keyword_hits(context, bare) or _keyword_hits(context, bare_summary):
                out.add(ind.key)
        return out


# "Morgan Stanley cuts Sun Microsystems, upgrades Dell": the bank rates the others; the news is theirs.
_RATES = re.compile(r"\s*(?:'s\s+\w+\s+)?(?:upgrades?|downgrades?|cuts|raises|lowers|initiates|starts)\b")


def _is_rater(title: str, hit: Hit, hits: list[Hit]) -> bool:
    """A company named just before a rating verb, with another company after it."""
    return bool(_RATES.match(title, hit.end)) and any(h.start > hit.end for h in hits)


def _blank_hits(text: str, hits: list[Hit]) -> str:
    """`text` with the entity names blanked out (offsets kept)."""
    if not hits:
        return text
    chars = list(text)
    for h in hits:
        chars[h.start : h.end] = " " * (h.end - h.start)
    return "".join(chars)


def _keyword_hits(matcher: Matcher, text: str) -> int:
    """Keyword occurrences that stand as words (Korean: heads of their compounds)."""
    return len(hit_spans(matcher, text))


_default: Classifier | None = None


def default_classifier() -> Classifier:
    """The shared classifier over the shipped taxonomy and listings."""
    global _default
    if _default is None:
        _default = Classifier()
    return _default


def classify(title: str, summary: str = "") -> Classification:
    """Symbols, industries and kind of a headline, from the shipped taxonomy and listings."""
    return default_classifier().classify(title, summary)
