"""The kind of a headline from the taxonomy's kind keywords, with `other` when none applies.

Scores: each keyword hit in the title counts 2, in the description 1 but only for a kind the title already
suggests. The main clause counts 3 more for its kind: in English the clause before `as`, `after`, `amid`...
(`Hyundai shares jump after Q3 earnings` is a price move) and its first hit; in Korean the first `…`
segment with a hit and its last hit, the head of a Korean clause coming last (`…공급계약 체결 소식에 상승세`
is a price move too). A main clause that opens with a company and has no kind word is a company event
(`Intel to cut 15% of workforce as foundry losses widen`). A Korean title about a
company ending in a broker's name (`…목표가↓-DB금투`) is an analyst's note: a company event. A named
company with no kind word at all is a company event; nothing at all is `other`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from news import korean
from news.taxonomy import Matcher

OTHER = "other"
COMPANY_EVENT = "company_event"
# "…목표가↓-DB금투", "… – 대신증권", "…-SK": a short name after a dash at the end of a Korean title.
_ATTRIBUTION = re.compile(r"\s*[-–—]\s*[^\s\-–—\]]{1,10}\s*$")
# Section tags: "[특징주] ", " [주목 e공시]", "[이슈+]".
_TAGS = re.compile(r"^\s*\[[^\]]{1,12}\]\s*|\s*\[[^\]]{1,12}\]\s*$")
MAIN_CLAUSE_BONUS = 3
_EN_SUBORDINATE = re.compile(
    r"\s(?:as|after|amid|while|despite|since|because|following|on|over|but|ahead of)\s|;|\s[-–]\s",
    re.IGNORECASE,
)
# "Amid virus crisis, U.S. bars imports ...": a leading subordinate clause is not the main one.
_EN_LEADING = re.compile(
    r"^(?:as|after|amid|while|despite|since|because|following|with)\b[^,]{0,60},\s*", re.IGNORECASE
)
_KO_SEGMENTS = re.compile(r"…|\.\.\.")


def strip_tags(title: str) -> str:
    """The title without section tags and, in Korean, without a trailing broker attribution."""
    text = _TAGS.sub(" ", title).strip()
    if korean.is_korean(text):
        text = _ATTRIBUTION.sub("", text)
    return text or title


def is_analyst_note(title: str) -> bool:
    """A Korean title ending in `-Broker`."""
    text = _TAGS.sub(" ", title).strip()
    return korean.is_korean(text) and _ATTRIBUTION.search(text) is not None


class KindScorer:
    """Scores a title (and its description) against the kind matchers, in their priority order."""

    def __init__(self, kinds: Sequence[Matcher]) -> None:
        self._kinds = tuple(kinds)

    def kind(self, title: str, summary: str, *, has_company: bool, subject: str) -> str:
        """The kind key. `subject`: the title without tags, attribution and company names (offsets kept)."""
        if has_company and is_analyst_note(title):
            return COMPANY_EVENT
        spans = {m.key: hit_spans(m, subject) for m in self._kinds}
        main = _main_kind(subject, spans, has_company=has_company)
        best: tuple[int, str] | None = None
        for matcher in self._kinds:
            score = 2 * len(spans[matcher.key])
            if score and summary:
                score += len(hit_spans(matcher, summary))
            if matcher.key == main:
                score += MAIN_CLAUSE_BONUS
            if matcher.key == COMPANY_EVENT and has_company and score:
                score += 1  # a company with an event word: a company event wins ties
            if score and (best is None or score > best[0]):
                best = (score, matcher.key)
        if best is not None:
            return best[1]
        return COMPANY_EVENT if has_company else OTHER


def _main_kind(subject: str, spans: dict[str, list[tuple[int, int]]], *, has_company: bool) -> str | None:
    """The kind of the main clause's deciding hit (see the module doc), or None."""
    hits = sorted((a, key) for key, found in spans.items() for a, _ in found)
    if korean.is_korean(subject):
        start = 0
        for seg in _KO_SEGMENTS.split(subject):
            inside = [key for a, key in hits if start <= a < start + len(seg)]
            if inside:
                return inside[-1]
            start += len(seg) + 1
        return None
    lead = _EN_LEADING.match(subject)
    begin = lead.end() if lead else 0
    cut = _EN_SUBORDINATE.search(subject, begin)
    end = cut.start() if cut else len(subject)
    inside = [key for a, key in hits if begin <= a < end]
    if inside:
        return inside[0]
    if has_company and subject[begin : begin + 1].isspace():
        return COMPANY_EVENT  # "<Company> to cut jobs as ...": the company is the subject
    return None


def hit_spans(matcher: Matcher, text: str) -> list[tuple[int, int]]:
    """Keyword spans that stand as words (in Korean: heads of their compounds)."""
    spans = matcher.spans(text)
    if not spans or not korean.is_korean(text):
        return spans
    return [(a, b) for a, b in spans if korean.is_head(text, a, b)]
