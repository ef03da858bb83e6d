"""The live engine with combinations: a `SignalEngine` plus one `ComboTracker` per instrument.

Each closed bar goes through the signal engine; the types it fired on that bar are fed to the
instrument's tracker (`signals.combos`, the rule the backtest's `--combinations` study uses), and
every combination in `combos` that the bar completes is emitted as one more event:
`SignalEvent(signal=A, pair=B)`, stored as `combo:A+B`. `values` carries `bars_apart` (how many bars
before this one the other half fired, 0 when both fired now), `window` and `now` (1: A fired on
this bar, 2: only B did); `strength` is `bars_apart`.

The trackers remember the last bar each type fired on whatever `combos` holds, so the set can change
(a new study confirms more) without losing what happened. Their state is saved with the engine's
(`dump_state`); a blob of a plain `SignalEngine` still loads (the trackers start empty). A symbol's
tracker starts empty at its warm-up, like the engine's crossings: a pair whose first half fired
before the engine saw the instrument is not reported.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

from core.types import Bar, SignalEvent
from signals.combos import DEFAULT_WINDOW, Combo, ComboTracker
from signals.engine import SignalEngine

_MAGIC = b"FSCOMBO1"


class ComboEngine:
    """`scheduler.ports.EnginePort`: the signal engine and the combinations watched live."""

    def __init__(
        self, inner: SignalEngine, combos: Iterable[Combo] = (), *, window: int = DEFAULT_WINDOW
    ) -> None:
        self.inner = inner
        self.window = window
        self._combos: tuple[Combo, ...] = tuple(sorted(set(combos)))
        self._trackers: dict[str, ComboTracker] = {}

    @property
    def combos(self) -> tuple[Combo, ...]:
        return self._combos

    def set_combos(self, names: Iterable[str], window: int | None = None) -> None:
        """The combinations to fire (names `combo:A+B`; names that are not one are ignored)."""
        found: set[Combo] = set()
        for name in names:
            try:
                found.add(Combo.parse(name))
            except ValueError:
                continue
        self._combos = tuple(sorted(found))
        if window is not None:
            self.window = window
        for t in self._trackers.values():
            t.combos, t.window = self._combos, self.window

    def warm_up(self, symbol: str, bars: list[Bar], /) -> object:
        self._trackers[symbol] = ComboTracker(self._combos, self.window)
        self.inner.warm_up(symbol, bars)
        return None

    def on_bars(self, bars: list[Bar], /) -> list[SignalEvent]:
        events = self.inner.on_bars(bars)
        fired: dict[str, list[SignalEvent]] = defaultdict(list)
        for e in events:
            fired[e.symbol].append(e)
        out = list(events)
        for bar in {b.symbol: b for b in bars}.values():
            tracker = self._trackers.get(bar.symbol)
            if tracker is None:
                tracker = self._trackers[bar.symbol] = ComboTracker(self._combos, self.window)
            mine = fired.get(bar.symbol, [])
            for combo in tracker.on_bar(e.signal for e in mine):
                out.append(self._event(bar, combo, tracker, mine))
        return out

    def _event(
        self, bar: Bar, combo: Combo, tracker: ComboTracker, mine: Sequence[SignalEvent]
    ) -> SignalEvent:
        now = {e.signal for e in mine}
        others = [s for s in (combo.first, combo.second) if s not in now]
        last = tracker.last(others[0]) if others else None
        apart = 0 if last is None else tracker.bar - last
        values: dict[str, float] = {}
        for e in mine:
            if e.signal in (combo.first, combo.second):
                values.update(e.values)
        values.update(bars_apart=float(apart), window=float(self.window))
        values["now"] = 1.0 if combo.first in now else 2.0
        return SignalEvent(
            symbol=bar.symbol,
            signal=combo.first,
            pair=combo.second,
            interval=self.inner.interval,
            ts=bar.ts,
            close=bar.close,
            values=values,
            strength=float(apart),
        )

    def symbols(self) -> list[str]:
        return self.inner.symbols()

    def dump_state(self) -> bytes:
        header = json.dumps(
            {"window": self.window, "trackers": {s: t.dump() for s, t in self._trackers.items()}}
        ).encode()
        return _MAGIC + len(header).to_bytes(4, "big") + header + self.inner.dump_state()

    def load_state(self, data: bytes, /) -> ComboEngine:
        """An engine from `dump_state` bytes (or a plain `SignalEngine` blob), with this one's combos."""
        if not data.startswith(_MAGIC):
            return ComboEngine(SignalEngine.load_state(data), self._combos, window=self.window)
        n = int.from_bytes(data[8:12], "big")
        header = json.loads(data[12 : 12 + n])
        out = ComboEngine(SignalEngine.load_state(data[12 + n :]), self._combos, window=self.window)
        for symbol, saved in dict(header.get("trackers", {})).items():
            out._trackers[symbol] = ComboTracker.restore(saved, out._combos, out.window)
        return out
