"""Point-in-time ratings: the track record as it stood at a moment, for replays and audits.

A rating attached to an alert at time t may rest only on what was known at t: bars up to t, so only
events whose forward window (from the next open to the close h bars later) ended by t's close.
`ratings_as_of` runs the ordinary backtest on exactly that history; `WalkForward` memoises it per
symbol and day for a replay that walks through time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime

from backtest.runner import DEFAULT_HORIZONS, run_backtest
from backtest.tradable import DEFAULT_BASIS
from core.errors import DataError, UsageError
from core.quality import QualityRules
from core.types import Bar, Rating, SignalType
from signals import SignalConfig


def ratings_as_of(
    symbol: str,
    bars: Sequence[Bar],
    at: datetime,
    *,
    config: SignalConfig = SignalConfig(),
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    years: float = 10,
    signals: Sequence[SignalType] | None = None,
    basis: str = DEFAULT_BASIS,
    quality: QualityRules = QualityRules(),
) -> list[Rating]:
    """The ratings of `symbol` computed from its bars up to `at` (inclusive); [] when that history is
    too short to rate. Bars after `at` cannot change the result."""
    known = [b for b in bars if b.ts <= at]
    if not known:
        return []
    try:
        res = run_backtest({symbol: known}, config=config, horizons=horizons, years=years,
                           signals=signals, basis=basis, quality=quality, run_at=at)  # fmt: skip
    except (UsageError, DataError):
        return []
    return res.ratings()


class WalkForward:
    """Ratings as they would have been on each day of a replay (one backtest per symbol and day)."""

    def __init__(
        self,
        histories: dict[str, Sequence[Bar]],
        *,
        config: SignalConfig = SignalConfig(),
        horizons: Sequence[int] = DEFAULT_HORIZONS,
        years: float = 10,
        quality: QualityRules = QualityRules(),
    ) -> None:
        self._bars = {s: sorted(b, key=lambda x: x.ts) for s, b in histories.items()}
        self._stamps = {s: [b.ts for b in bars] for s, bars in self._bars.items()}
        self._kw = {"config": config, "horizons": tuple(horizons), "years": years, "quality": quality}
        self._memo: dict[tuple[str, int], list[Rating]] = {}

    def ratings(self, symbol: str, at: datetime) -> list[Rating]:
        bars = self._bars.get(symbol, ())
        k = bisect_right(self._stamps.get(symbol, []), at)
        key = (symbol, k)  # the same known history gives the same ratings
        if key not in self._memo:
            self._memo[key] = ratings_as_of(symbol, bars[:k], at, **self._kw)  # type: ignore[arg-type]
        return self._memo[key]
