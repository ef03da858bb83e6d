"""Timeframes of a watch: `/watch 005930 15m` alerts on 15-minute bars, `/watch 005930` on daily ones
(the default). Parsing and the pure set arithmetic live here; `bot.commands` stores the result."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.i18n import t
from bot.views import MAX_ARG, esc
from bot.views_alert import timeframe
from core.types import Instrument, Interval, Language, Market, Watch

# what looks like a timeframe ('5m', '1h', '30min', '1D'): told apart from signal names
_LOOKS_LIKE = re.compile(r"^\d+\s*(m|min|h|d|w)$", re.IGNORECASE)
TIMEFRAMES = {"1m": Interval.M1, "5m": Interval.M5, "15m": Interval.M15, "1d": Interval.D1}
INTRADAY = frozenset({Interval.M1, Interval.M5, Interval.M15})
_ORDER = (Interval.D1, Interval.M1, Interval.M5, Interval.M15)


class BadTimeframe(ValueError):
    """A word that reads as a timeframe this service does not keep (e.g. '30m', '1h')."""


def split_timeframe(words: Sequence[str]) -> tuple[Interval | None, list[str]]:
    """(the timeframe among `words`, the other words); None when none is given. BadTimeframe for a
    timeframe-like word that is not 1m/5m/15m/1d."""
    found: Interval | None = None
    rest: list[str] = []
    for word in words:
        key = word.strip().lower()
        if key in TIMEFRAMES:
            found = TIMEFRAMES[key]
        elif _LOOKS_LIKE.match(key):
            raise BadTimeframe(word)
        else:
            rest.append(word)
    return found, rest


def bad_timeframe(lang: Language, word: str) -> str:
    return t(lang, "bad_timeframe", tf=esc(word, MAX_ARG))


def intraday_refused(lang: Language, inst: Instrument, interval: Interval) -> str | None:
    """Why `inst` cannot be watched on `interval`, or None: minute bars are kept for Korean stocks."""
    if interval in INTRADAY and inst.market is not Market.KRX:
        return t(lang, "intraday_krx_only", symbol=esc(inst.symbol))
    return None


def with_timeframe(old: Watch | None, new: Watch, interval: Interval) -> Watch:
    """The watch after `/watch SYMBOL [interval]`: the timeframe added to those already watched."""
    kept = old.intervals if old is not None else frozenset()
    return replace(new, intervals=kept | {interval})


def label(lang: Language, intervals: frozenset[Interval]) -> str:
    """'daily, 5-minute bars' in a fixed order (daily first)."""
    return ", ".join(timeframe(lang, i) for i in _ORDER if i in intervals)
