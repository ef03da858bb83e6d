"""Companies and instruments named in headlines, from the listing data in news/data/entities.csv.

Each row: `symbol` (empty for an unlisted body such as a bank subsidiary or an exchange), `industries`
(taxonomy keys, space-separated), English and Korean names (`|`-separated, the first is the display
name), and `when` (`;`-separated conditions for short or shared names: `lang=ko|en` restricts a row to
text in that language; `ctx=a|b|c` requires one of those words in the title or summary; `org` marks a
body that is not a company: an exchange, a coin). Several rows may share a symbol: `GS` is the
Korean group in Korean text, Goldman Sachs only beside Goldman, Wall Street or banks.

Matching (`EntityIndex.find`): every name of every row in one regex, longest first; Latin names are
case-sensitive between word boundaries (a name written all in lower case matches in any case); in
Korean text a name must also stand alone on its left and be the head of its compound on its right
(news.korean.is_head), so `현대차증권` is the broker, not Hyundai Motor.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from news import korean

_LATIN_WORD = "A-Za-z0-9"


@dataclass(frozen=True, slots=True)
class Entity:
    """One named body: its symbol ("" if unlisted), industries and the conditions on its names."""

    symbol: str
    name: str
    industries: tuple[str, ...] = ()
    lang: str = ""  # "", "ko" or "en": the language of text this row applies to
    context: re.Pattern[str] | None = None  # one of these words must be present
    company: bool = True  # False for exchanges, associations, coins, allowances


@dataclass(frozen=True, slots=True)
class Hit:
    """An entity found at text[start:end]."""

    entity: Entity
    start: int
    end: int


def _parse_when(when: str) -> tuple[str, re.Pattern[str] | None, bool]:
    lang, ctx, company = "", None, True
    for part in filter(None, (p.strip() for p in when.split(";"))):
        key, _, value = part.partition("=")
        if key == "org":
            company = False
        elif key == "lang":
            lang = value
        elif key == "ctx":
            words = sorted(value.split("|"), key=len, reverse=True)
            ctx = re.compile(rf"(?<![{_LATIN_WORD}])(?:{'|'.join(map(re.escape, words))})(?![{_LATIN_WORD}])")
    return lang, ctx, company


def load_rows(text: str) -> list[tuple[Entity, list[str]]]:
    """(entity, names) for every row of an entities CSV."""
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        names = [n.strip() for n in f"{row['en']}|{row['ko']}".split("|") if n.strip()]
        if not names:
            continue
        lang, ctx, company = _parse_when(row.get("when") or "")
        industries = tuple((row.get("industries") or "").split())
        out.append((Entity(row["symbol"].strip(), names[0], industries, lang, ctx, company), names))
    return out


class EntityIndex:
    """All names of all entities in one longest-first regex; `find` applies boundaries and conditions."""

    def __init__(self, rows: Iterable[tuple[Entity, Sequence[str]]]) -> None:
        by_name: dict[str, list[Entity]] = {}
        for entity, names in rows:
            for name in names:
                if len(name) >= 2:
                    by_name.setdefault(name, []).append(entity)
        self._by_name = by_name
        self._regex = _names_regex(list(by_name))

    def __len__(self) -> int:
        return len(self._by_name)

    def find(self, text: str, *, context: str = "") -> list[Hit]:
        """Entities named in `text`, left to right; `context` (the summary) can satisfy a `ctx` condition."""
        if self._regex is None:
            return []
        ko = korean.is_korean(text)
        lang = "ko" if ko else "en"
        hits = []
        for m in self._regex.finditer(text):
            named = self._by_name.get(m.group()) or self._by_name.get(m.group().lower())
            if not named:
                continue
            # a company's name glued to another noun is another company; an allowance or a coin
            # is a topic word (`배출권거래제` is about allowances)
            company = any(e.company for e in named)
            if ko and not korean.is_head(text, m.start(), m.end(), entity=company):
                continue
            for entity in named:
                if entity.lang and entity.lang != lang:
                    continue
                if entity.context is not None and not (
                    entity.context.search(text) or entity.context.search(context)
                ):
                    continue
                hits.append(Hit(entity, m.start(), m.end()))
                break
        return hits


def _names_regex(names: list[str]) -> re.Pattern[str] | None:
    """One regex for all names as a trie (a plain alternation of 1,500 names is ten times slower), the
    longest name winning at each position; Latin names keep their word boundaries; names written in
    lower case only match in any case."""
    if not names:
        return None
    exact: dict[str, Any] = {}
    for name in names:
        if name != name.lower():
            node = exact
            for ch in name:
                node = node.setdefault(ch, {})
            node[""] = f"(?![{_LATIN_WORD}])" if name[-1].isascii() and name[-1].isalnum() else ""
    latin = {k: v for k, v in exact.items() if k.isascii() and k.isalnum()}
    other = {k: v for k, v in exact.items() if k not in latin}
    parts = []
    if latin:
        parts.append(f"(?<![{_LATIN_WORD}]){_trie(latin)}")
    if other:
        parts.append(_trie(other))
    for name in sorted((n for n in names if n == n.lower()), key=len, reverse=True):
        left = f"(?<![{_LATIN_WORD}])" if name[0].isascii() and name[0].isalnum() else ""
        right = f"(?![{_LATIN_WORD}])" if name[-1].isascii() and name[-1].isalnum() else ""
        parts.append(f"{left}(?i:{re.escape(name)}){right}")
    return re.compile("|".join(parts))


def _trie(node: dict[str, Any]) -> str:
    """Children first (longer names), the end of a name last, so backtracking finds the longest."""
    branches = [re.escape(ch) + _trie(child) for ch, child in sorted(node.items()) if ch]
    if "" in node:
        branches.append(node[""])
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


@cache
def _default_rows() -> tuple[tuple[Entity, tuple[str, ...]], ...]:
    text = resources.files("news").joinpath("data/entities.csv").read_text(encoding="utf-8")
    return tuple((e, tuple(names)) for e, names in load_rows(text))


def default_rows() -> list[tuple[Entity, Sequence[str]]]:
    """The rows of the shipped listing data (parsed once)."""
    return list(_default_rows())
