"""Instrument names a question may use: symbols, codes, catalogue aliases, stored names, K-ETS words.

Pure: built from `market.resolver`'s catalogue plus the instruments the caller passes (the stored ones)
and the current K-ETS front vintages ("KAU", "배출권" -> KAU25). `find` returns the instruments named in
a text, longest names first, each once, in the order they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from market.resolver import ALIASES, CATALOGUE

_SUFFIXES = re.compile(r"\s*(,?\s*(inc|corp|corporation|co|ltd|plc|class a|trust|etf)\.?)+$", re.I)
_TICKER = re.compile(
    r"(?<![A-Za-z0-9.])([A-Z]{1,5}(?:\.[A-Z]{1,2})?|\d{6}(?:\.K[SQ])?|K[AC]U\d{2})(?![A-Za-z0-9])"
)
# Upper-case words that are not tickers in a question.
NOT_TICKERS = frozenset(
    [
        "A",
        "I",
        "RSI",
        "SMA",
        "MA",
        "YTD",
        "KST",
        "UTC",
        "USD",
        "KRW",
        "EUR",
        "ETF",
        "US",
        "EU",
        "KR",
        "N",
        "SQL",
        "TOP",
        "ETS",
        "K",
        "OK",
        "VS",
        "AND",
        "OR",
        "THE",
        "OF",
        "IN",
        "ON",
        "FOR",
        "BY",
        "TO",
        "FROM",
        "HOW",
        "WHAT",
        "WHICH",
        "SHOW",
        "LIST",
        "ME",
        "MY",
        "IS",
        "ARE",
        "WAS",
        "DID",
        "DO",
        "GDP",
        "CPI",
        "API",
        "ID",
    ]
)
CARBON_WORDS_KO = ("탄소배출권", "배출권", "탄소 배출권")
# Korean names of catalogue instruments that have none in market/catalogue.json.
NAMES_KO = {
    "AAPL": "애플", "MSFT": "마이크로소프트", "NVDA": "엔비디아", "TSLA": "테슬라", "GOOGL": "구글",
    "AMZN": "아마존", "005930.KS": "삼성전자", "000660.KS": "SK하이닉스", "FCO2.DE": "유럽 탄소배출권 ETC",
}  # fmt: skip


@dataclass(frozen=True)
class Vocabulary:
    """name (lower-case) -> symbol; `names` holds the display name of each symbol."""

    by_name: Mapping[str, str]
    names: Mapping[str, str]
    symbols: frozenset[str] = field(default_factory=frozenset)
    names_ko: Mapping[str, str] = field(default_factory=dict)  # Korean names from the catalogue aliases

    @staticmethod
    def build(stored: Iterable[tuple[str, str]] = (), front: Mapping[str, str] | None = None) -> Vocabulary:
        """`stored`: (symbol, name) of stored instruments; `front`: {"KAU": "KAU25", "KCU": ...}."""
        by_name: dict[str, str] = {}
        names: dict[str, str] = {}

        def add(symbol: str, name: str) -> None:
            names.setdefault(symbol, name or symbol)
            for key in _keys(symbol, name):
                by_name.setdefault(key, symbol)

        for symbol, name in stored:
            add(symbol, name)
        for entry in CATALOGUE.values():
            add(entry.symbol, entry.name)
        names_ko: dict[str, str] = dict(NAMES_KO)
        for name_ko, symbol in ((v, k) for k, v in NAMES_KO.items()):
            by_name.setdefault(name_ko.lower(), symbol)
        for alias, symbol in ALIASES.items():
            by_name.setdefault(alias.lower(), symbol)
            if re.search(r"[가-힣]", alias):
                names_ko.setdefault(symbol, alias)
        for prefix, symbol in (front or {}).items():
            names.setdefault(symbol, symbol)
            by_name[prefix.lower()] = symbol
            if prefix == "KAU":
                for word in CARBON_WORDS_KO:
                    by_name.setdefault(word, symbol)
                by_name.setdefault("korean carbon", symbol)
        return Vocabulary(by_name, names, frozenset(names), names_ko)

    def find(self, text: str) -> tuple[list[str], list[str], str]:
        """(symbols named, unknown ticker-like words, text with the names blanked out)."""
        found: list[tuple[int, str]] = []
        rest = text
        for key in sorted(self.by_name, key=len, reverse=True):
            pattern = _pattern(key)
            for m in pattern.finditer(rest):
                found.append((m.start(), self.by_name[key]))
                rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end() :]
        unknown: list[str] = []
        for m in _TICKER.finditer(rest):
            word = m.group(1)
            if word in NOT_TICKERS:
                continue
            symbol = _canonical(word, self.symbols)
            if symbol is not None:
                found.append((m.start(), symbol))
            else:
                unknown.append(word)
            rest = rest[: m.start()] + " " * len(word) + rest[m.end() :]
        ordered = list(dict.fromkeys(s for _, s in sorted(found)))
        return ordered, unknown, rest

    def display(self, symbol: str, lang: str = "en") -> str:
        name = self.names_ko.get(symbol) if lang == "ko" else None
        name = name or self.names.get(symbol, symbol)
        return symbol if name in ("", symbol) else f"{name} ({symbol})"


def _keys(symbol: str, name: str) -> list[str]:
    # Symbols as written are found by _TICKER; lower-case ones only when they cannot be a plain word.
    keys = [symbol.lower()] if len(symbol) >= 5 or re.search(r"[\d.\-]", symbol) else []
    if "." in symbol:
        keys.append(symbol.split(".")[0].lower())
    if name and name != symbol:
        keys.append(name.lower())
        short = _SUFFIXES.sub("", name).strip().lower()
        if len(short) >= 4 and short != name.lower():
            keys.append(short)
    return keys


def _pattern(key: str) -> re.Pattern[str]:
    """Latin names match whole words; Korean names match inside words (particles follow them)."""
    escaped = re.escape(key)
    if re.search(r"[가-힣]", key):
        return re.compile(escaped, re.I)
    return re.compile(rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])", re.I)


def _canonical(word: str, known: frozenset[str]) -> str | None:
    """A ticker-like word -> a stored symbol: as written, or a 6-digit code with its .KS/.KQ suffix."""
    if word in known:
        return word
    for suffix in (".KS", ".KQ"):
        if word + suffix in known:
            return word + suffix
    return None
