"""Signal combinations: two signal types firing within a window of bars of each other.

The one rule, for the batch path (`combo_mask`, used by the backtest) and the live path
(`ComboTracker`, fed the events of each closed bar):

    combination A+B fires on bar t  <=>  one of A, B fires on bar t and the other fired on one of
    the bars t - window .. t (the same bar counts).

So it fires on the bar that completes the pair, never earlier (no look-ahead), and again whenever
a further A or B lands within the window of the other. Names are `combo:A+B` with A and B in the
order of the signal-type registry (`core.types.SignalType`), so `combo:volume_spike+golden_cross`
and `combo:golden_cross+volume_spike` are one combination. Direction: the common direction of the
two; a neutral type (a volume spike) takes the other's; two opposite directions make no combination
(`Combo.of` raises ValueError); two neutral types take the bar's own move (direction 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from core.types import SignalType
from signals._types import Arr

PREFIX = "combo:"
DEFAULT_WINDOW = 5


@dataclass(frozen=True, order=True, slots=True)
class Combo:
    """An unordered pair of distinct signal types (stored in registry order)."""

    first: SignalType
    second: SignalType

    @staticmethod
    def of(a: SignalType, b: SignalType) -> Combo:
        if a == b:
            raise ValueError(f"a combination needs two different signal types, got {a.value} twice")
        order = list(SignalType)
        x, y = sorted((a, b), key=order.index)
        if x.direction * y.direction < 0:
            raise ValueError(f"{x.value} and {y.value} point in opposite directions")
        return Combo(x, y)

    @staticmethod
    def parse(text: str) -> Combo:
        """'combo:golden_cross+volume_spike' (the prefix optional) -> Combo; ValueError if not one."""
        body = text.strip().lower().removeprefix(PREFIX)
        parts = [p.strip().replace("-", "_") for p in body.split("+")]
        if len(parts) != 2:
            raise ValueError(f"expected {PREFIX}SIGNAL+SIGNAL, got {text!r}")
        try:
            a, b = (SignalType(p) for p in parts)
        except ValueError:
            raise ValueError(f"unknown signal in {text!r}; choose from {', '.join(SignalType)}") from None
        return Combo.of(a, b)

    @property
    def name(self) -> str:
        return f"{PREFIX}{self.first.value}+{self.second.value}"

    @property
    def direction(self) -> int:
        return self.first.direction or self.second.direction


def all_pairs(types: Iterable[SignalType]) -> list[Combo]:
    """Every combination of two of `types` that has a direction (opposite directions are left out)."""
    ts = list(dict.fromkeys(types))
    out = []
    for i, a in enumerate(ts):
        for b in ts[i + 1 :]:
            if a.direction * b.direction >= 0:
                out.append(Combo.of(a, b))
    return sorted(set(out))


def recent(mask: Arr, window: int) -> Arr:
    """True at row t when `mask` is True on some row t - window .. t (per column)."""
    cs = np.cumsum(mask, axis=0, dtype=np.int32)
    out = cs.copy()
    out[window + 1 :] -= cs[: -window - 1]
    return out > 0


def combo_mask(
    a: Arr, b: Arr, window: int, *, recent_a: Arr | None = None, recent_b: Arr | None = None
) -> Arr:
    """The batch rule: rows (bars) where the combination of masks `a` and `b` fires."""
    if window < 0:
        raise ValueError(f"window must be >= 0 bars, got {window}")
    ra = recent(a, window) if recent_a is None else recent_a
    rb = recent(b, window) if recent_b is None else recent_b
    out: Arr = (a & rb) | (b & ra)
    return out


@dataclass
class ComboTracker:
    """The live rule for one instrument: feed each closed bar's signal types, get the combinations fired.

    Remembers the index of the last bar each type fired on; `on_bar(types)` advances one bar.
    """

    combos: tuple[Combo, ...]
    window: int = DEFAULT_WINDOW
    _bar: int = -1
    _last: dict[SignalType, int] = field(default_factory=dict)

    def on_bar(self, fired: Iterable[SignalType]) -> list[Combo]:
        self._bar += 1
        now = set(fired)
        if not now:  # a combination fires only on a bar where one of its halves fires
            return []
        for s in now:
            self._last[s] = self._bar
        out = []
        for c in self.combos:
            if (c.first in now and self._within(c.second)) or (c.second in now and self._within(c.first)):
                out.append(c)
        return out

    @property
    def bar(self) -> int:
        """Index of the last bar fed (-1 before the first)."""
        return self._bar

    def last(self, s: SignalType) -> int | None:
        """Index of the last bar `s` fired on, None if never (since the tracker started)."""
        return self._last.get(s)

    def dump(self) -> dict[str, object]:
        return {"bar": self._bar, "last": {str(k): v for k, v in self._last.items()}}

    @staticmethod
    def restore(data: dict[str, object], combos: tuple[Combo, ...], window: int) -> ComboTracker:
        """Inverse of `dump` (types no longer in the registry are dropped)."""
        last = data.get("last")
        known = {s.value: s for s in SignalType}
        out = ComboTracker(combos, window, int(str(data.get("bar", -1))))
        if isinstance(last, dict):
            out._last = {known[k]: int(v) for k, v in last.items() if k in known}
        return out

    def _within(self, s: SignalType) -> bool:
        last = self._last.get(s)
        return last is not None and self._bar - last <= self.window
