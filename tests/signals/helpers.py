"""Shared helpers for the signals tests: synthetic series and bar builders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from core.types import Bar, Interval

T0 = datetime(2000, 1, 3, tzinfo=UTC)


def walk(n: int, seed: int, start: float = 100.0, vol: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """A geometric random walk of closes and integer-ish volumes (some zero)."""
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    volume = np.floor(rng.lognormal(12.0, 0.8, n))
    volume[rng.random(n) < 0.02] = 0.0
    return close, volume


def stamps(n: int, step: timedelta = timedelta(days=1)) -> list[datetime]:
    return [T0 + i * step for i in range(n)]


def bars(symbol: str, close: np.ndarray, volume: np.ndarray, ts: list[datetime],
         interval: Interval = Interval.D1) -> list[Bar]:  # fmt: skip
    """Bars whose adjusted close is `close` (raw close x adj_factor 0.5)."""
    return [
        Bar(symbol, interval, t, c * 2, c * 2, c * 2, c * 2, float(v), adj_factor=0.5)
        for t, c, v in zip(ts, close.tolist(), volume.tolist(), strict=True)
    ]


def key_order(events: list) -> list:  # type: ignore[type-arg]
    return sorted(events, key=lambda e: (e.ts, e.symbol, list(type(e.signal)).index(e.signal)))


def current_state(engine: object, symbol: str) -> list[np.ndarray]:
    """The live state of one instrument: rings, the current scalar buffer and its last timestamp."""
    e = engine
    i = e._index[symbol]  # type: ignore[attr-defined]
    return [
        e._cring[:, i].copy(),  # type: ignore[attr-defined]
        e._vring[:, i].copy(),  # type: ignore[attr-defined]
        np.frombuffer(e._st[0, i].tobytes(), dtype=np.uint8),  # type: ignore[attr-defined]
        e._last_ts[i : i + 1].copy(),  # type: ignore[attr-defined]
    ]
