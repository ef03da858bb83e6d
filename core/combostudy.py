"""The stored outcome of the last combinations study (`finsignal backtest ... --combinations`).

The backtest saves it under `STATE_KEY` (one small JSON blob in the state store); the bot reads it to
accept only confirmed combinations for watching and to put the combination's rating in its alert; the
scheduler reads it to know which combinations to fire live.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

STATE_KEY = "backtest.combinations"


@dataclass(frozen=True, slots=True)
class ComboRating:
    """One confirmed combination at its best horizon (lowest out-of-sample p): pooled figures."""

    name: str  # combo:A+B
    horizon: int
    count: int  # out-of-sample events
    excess: float  # out-of-sample mean excess return over the baseline (fraction)
    p_value: float  # out-of-sample, one-sided
    in_sample_count: int


@dataclass(frozen=True, slots=True)
class ComboStudy:
    tried: int  # (pair, horizon) tried
    window: int  # bars within which the two signals must fire
    symbols: int  # instruments pooled
    finished: datetime
    confirmed: tuple[ComboRating, ...]

    def rating(self, name: str) -> ComboRating | None:
        return next((r for r in self.confirmed if r.name == name), None)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.confirmed]

    def to_bytes(self) -> bytes:
        d = asdict(self)
        d["finished"] = self.finished.isoformat()
        return json.dumps(d, sort_keys=True).encode()

    @staticmethod
    def from_bytes(data: bytes) -> ComboStudy:
        """ValueError (or KeyError/TypeError) when `data` is not a saved study."""
        d = json.loads(data)
        return ComboStudy(
            tried=int(d["tried"]),
            window=int(d["window"]),
            symbols=int(d["symbols"]),
            finished=datetime.fromisoformat(d["finished"]),
            confirmed=tuple(ComboRating(**r) for r in d["confirmed"]),
        )


def read_study(data: bytes | None) -> ComboStudy | None:
    """The study from its stored bytes; None when nothing (usable) is stored."""
    if not data:
        return None
    try:
        return ComboStudy.from_bytes(data)
    except (ValueError, KeyError, TypeError):
        return None
