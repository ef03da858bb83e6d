"""The keyword taxonomy (news/taxonomy.json) loaded and compiled into matchers.

Keyword rules: a keyword containing any non-ASCII letter (Hangul) matches as a substring; a Latin
keyword matches whole words, case-insensitively, or case-sensitively when it has no lower-case letter
(acronyms such as EV, SEC) or starts with '=' ('=Fed'); a trailing '*' matches any word ending.
An entry's 'exclude' phrases are blanked out of the text before its keywords are tried.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

_WORD = r"A-Za-z0-9"


def _pattern(keyword: str) -> tuple[bool, str]:
    """(needs word boundaries, regex) for one keyword."""
    case_sensitive = keyword.startswith("=")
    kw = keyword.removeprefix("=")
    prefix = kw.endswith("*")
    kw = kw.removesuffix("*")
    body = re.escape(kw)
    if not kw.isascii():
        return False, body if kw == kw.upper() or case_sensitive else f"(?i:{body})"
    tail = f"[{_WORD}]*" if prefix else ""
    core = body if (case_sensitive or kw == kw.upper()) else f"(?i:{body})"
    return True, core + tail


def compile_keywords(keywords: list[str]) -> re.Pattern[str] | None:
    """One regex for `keywords` (longest first): Latin ones inside one pair of word boundaries,
    non-ASCII ones as plain substrings. None if there are no keywords."""
    ordered = sorted({k for k in keywords if k.strip("=*")}, key=len, reverse=True)
    if not ordered:
        return None
    parts = [_pattern(k) for k in ordered]
    latin = [p for bounded, p in parts if bounded]
    other = [p for bounded, p in parts if not bounded]
    alternatives = []
    if latin:
        alternatives.append(f"(?<![{_WORD}])(?:{'|'.join(latin)})(?![{_WORD}])")
    alternatives.extend(other)
    return re.compile("|".join(alternatives))


@dataclass(frozen=True, slots=True)
class Matcher:
    """Keywords and exclusions of one taxonomy entry (an industry, a kind or an instrument)."""

    key: str
    en: str
    ko: str
    keywords: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    implies: tuple[str, ...] = ()  # instruments: the industries they belong to

    def hits(self, text: str) -> list[str]:
        """The keyword occurrences of this entry in `text` (after blanking excluded phrases)."""
        return [text[a:b] for a, b in self.spans(text)]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each keyword occurrence; excluded phrases are blanked (offsets kept)."""
        if self.keywords is None:
            return []
        if self.exclude is not None:
            text = blank(self.exclude, text)
        return [m.span() for m in self.keywords.finditer(text)]


def blank(pattern: re.Pattern[str], text: str) -> str:
    """`text` with every match of `pattern` replaced by as many spaces (offsets stay valid)."""
    return pattern.sub(lambda m: " " * len(m.group()), text)


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Industries, kinds (in priority order) and instruments, compiled."""

    industries: tuple[Matcher, ...]
    kinds: tuple[Matcher, ...]
    instruments: tuple[Matcher, ...]
    raw_industry_keywords: dict[str, tuple[str, ...]]
    # (symbol, names, industries, is a company) of each instrument, for the entity index
    raw_instruments: tuple[tuple[str, tuple[str, ...], tuple[str, ...], bool], ...] = ()
    # industry -> (keywords that need context, context words): `loans` counts for banks only near a bank
    weak: dict[str, tuple[Matcher, Matcher]] = field(default_factory=dict)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Taxonomy:
        def entry(key: str, spec: dict[str, Any]) -> Matcher:
            return Matcher(
                key=key,
                en=str(spec.get("en", key)),
                ko=str(spec.get("ko", key)),
                keywords=compile_keywords(list(spec.get("keywords", []))),
                exclude=compile_keywords(list(spec.get("exclude", []))),
            )

        instruments = tuple(
            Matcher(
                key=str(spec["symbol"]),
                en=str(spec["names"][0]) if spec.get("names") else str(spec["symbol"]),
                ko="",
                keywords=compile_keywords([*spec.get("names", []), *_symbol_keywords(str(spec["symbol"]))]),
                exclude=compile_keywords(list(spec.get("exclude", []))),
                implies=tuple(spec.get("industries", [])),
            )
            for spec in data.get("instruments", [])
        )
        return Taxonomy(
            industries=tuple(entry(k, v) for k, v in data["industries"].items()),
            kinds=tuple(entry(k, v) for k, v in data["kinds"].items()),
            instruments=instruments,
            raw_instruments=tuple(
                (
                    str(spec["symbol"]),
                    (
                        *map(str, spec.get("names", [])),
                        # a symbol is a name of its own from 3 letters (AMD, NVDA); GS and MU are shared
                        *(
                            k
                            for k in (k.strip("=") for k in _symbol_keywords(str(spec["symbol"])))
                            if len(k) >= 3
                        ),
                    ),
                    tuple(spec.get("industries", [])),
                    bool(spec.get("company", True)),
                )
                for spec in data.get("instruments", [])
            ),
            weak={
                k: (
                    entry(k, {"keywords": v["weak"], "exclude": v.get("exclude", [])}),
                    entry(k, {"keywords": v.get("context", [])}),
                )
                for k, v in data["industries"].items()
                if v.get("weak")
            },
            raw_industry_keywords={
                k: tuple(str(x).strip("=*") for x in v.get("keywords", []))
                for k, v in data["industries"].items()
            },
        )


def _symbol_keywords(symbol: str) -> list[str]:
    """How a symbol itself is written in headlines: 'NVDA', '005930' (for 005930.KS), 'FCO2.DE'."""
    base = symbol.split(".")[0] if symbol[:6].isdigit() else symbol
    if len(base) < 2:
        return []
    return ["=" + symbol, "=" + base] if base != symbol else ["=" + symbol]


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped in news/taxonomy.json (loaded once)."""
    text = resources.files("news").joinpath("taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy.from_dict(json.loads(text))
