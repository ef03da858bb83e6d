"""What changed in an ETF's portfolio between two daily snapshots (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from core.types import EtfHolding

MIN_CHANGE_PT = 0.1  # a weight that moved less than this many percentage points is noise


@dataclass(frozen=True, slots=True)
class EtfChanges:
    """Holdings added and removed, and weights moved by at least `MIN_CHANGE_PT` (new, old weight)."""

    added: list[EtfHolding] = field(default_factory=list)
    removed: list[EtfHolding] = field(default_factory=list)
    reweighted: list[tuple[EtfHolding, float]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.reweighted)


def diff(latest: Sequence[EtfHolding], previous: Sequence[EtfHolding]) -> EtfChanges:
    """Changes from `previous` to `latest`, each list largest (or largest move) first."""
    old = {h.code: h for h in previous}
    new = {h.code: h for h in latest}
    moved = [(h, old[h.code].weight) for h in latest if h.code in old]
    return EtfChanges(
        added=sorted((h for h in latest if h.code not in old), key=lambda h: -h.weight),
        removed=sorted((h for h in previous if h.code not in new), key=lambda h: -h.weight),
        reweighted=sorted(
            ((h, w) for h, w in moved if abs(h.weight - w) >= MIN_CHANGE_PT),
            key=lambda p: -abs(p[0].weight - p[1]),
        ),
    )
