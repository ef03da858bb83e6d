"""The in-process event bus (`core.ports.EventBus`): topics -> subscribers, delivered synchronously.

Subscribers must not block (the API's stream puts into a bounded queue and drops a slow client).
A Redis adapter with the same three methods can replace it for several processes.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import asdict
from datetime import datetime

from core.ports import CloseNotifier, EventBus, Notifier, ReadsAhead
from core.types import AlertHit, Bar, Interval, NewsItem, Quote, SignalEvent, SignalType

logger = logging.getLogger(__name__)
Deliver = Callable[[str, dict[str, object]], None]


class LocalEventBus:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._subs: dict[int, tuple[frozenset[str], Deliver]] = {}
        self._by_topic: dict[str, set[int]] = {}

    def publish(self, topic: str, message: dict[str, object]) -> None:
        for sid in list(self._by_topic.get(topic, ())):
            sub = self._subs.get(sid)
            if sub is None:
                continue
            try:
                sub[1](topic, message)
            except Exception:  # one subscriber never stops the others
                logger.exception("event bus subscriber %d failed on %s", sid, topic)

    def subscribe(self, topics: Iterable[str], deliver: Deliver) -> int:
        sid = next(self._ids)
        wanted = frozenset(topics)
        self._subs[sid] = (wanted, deliver)
        for topic in wanted:
            self._by_topic.setdefault(topic, set()).add(sid)
        return sid

    def unsubscribe(self, subscription: int) -> None:
        sub = self._subs.pop(subscription, None)
        if sub is None:
            return
        for topic in sub[0]:
            members = self._by_topic.get(topic)
            if members is not None:
                members.discard(subscription)
                if not members:
                    del self._by_topic[topic]

    def subscribers(self, topic: str) -> int:
        return len(self._by_topic.get(topic, ()))


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def quote_message(quote: Quote, age_s: float = 0.0) -> dict[str, object]:
    """A quote as a JSON-ready message (topic `quote:SYMBOL`)."""
    out: dict[str, object] = {k: _plain(v) for k, v in asdict(quote).items()}
    out.update(change=quote.change, change_pct=quote.change_pct, age_s=age_s)
    return out


class BusNotifier:
    """A `core.ports.Notifier` that also publishes each new event as `signal:SYMBOL`, then hands the
    events to the notifier it wraps (the outbox)."""

    def __init__(self, inner: Notifier, bus: EventBus) -> None:
        self._inner, self._bus = inner, bus

    async def publish(self, events: Sequence[SignalEvent]) -> int:
        for event in events:
            self._bus.publish(f"signal:{event.symbol}", signal_message(event))
        return await self._inner.publish(events)

    async def publish_close(
        self, events: Sequence[SignalEvent], hits: Sequence[AlertHit], *, created: Set[str] = frozenset()
    ) -> int:
        """`core.ports.CloseNotifier`: events to the stream, events and user-alert hits to the inner one."""
        for event in events:
            self._bus.publish(f"signal:{event.symbol}", signal_message(event))
        if isinstance(self._inner, CloseNotifier):
            return await self._inner.publish_close(events, hits, created=created)
        return await self._inner.publish(events) if events else 0

    async def read_ahead(self) -> None:
        """`core.ports.ReadsAhead`, if the notifier it wraps reads ahead."""
        if isinstance(self._inner, ReadsAhead):
            await self._inner.read_ahead()


def bar_message(bar: Bar) -> dict[str, object]:
    """A closed, stored bar as a JSON-ready message (topic `bar:SYMBOL`, issue 20)."""
    return {
        "symbol": bar.symbol,
        "interval": str(bar.interval),
        "ts": bar.ts.isoformat(),
        "open": bar.open,
        "high": bar.high,
        "low": bar.low,
        "close": bar.close,
        "volume": bar.volume,
        "source": bar.source,
    }


class BarAnnouncer:
    """Publishes each closed bar a collector stored as `bar:SYMBOL` (the scheduler's `bars_closed`); a
    batch longer than `per_series` bars of one series (a back-fill) announces only its latest bars."""

    def __init__(self, bus: EventBus, per_series: int = 60) -> None:
        self._bus, self._per_series = bus, per_series

    def __call__(self, bars: Sequence[Bar]) -> None:
        series: dict[tuple[str, str], list[Bar]] = {}
        for bar in bars:
            series.setdefault((bar.symbol, str(bar.interval)), []).append(bar)
        for (symbol, _), group in series.items():
            for bar in sorted(group, key=lambda b: b.ts)[-self._per_series :]:
                self._bus.publish(f"bar:{symbol}", bar_message(bar))


def news_message(item: NewsItem) -> dict[str, object]:
    """A stored, classified headline as a JSON-ready message (topic `news:SYMBOL`, issue 20)."""
    return {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "source": item.source,
        "published": item.published.isoformat(),
        "language": item.language,
        "symbols": list(item.symbols),
        "industries": list(item.industries),
        "kind": item.kind,
    }


def signal_message(event: SignalEvent) -> dict[str, object]:
    """A signal event as a JSON-ready message (topic `signal:SYMBOL`)."""
    return {
        "id": event.id,
        "symbol": event.symbol,
        "signal": event.name,  # a type, or combo:A+B
        "interval": str(event.interval),
        "ts": event.ts.isoformat(),
        "close": event.close,
        "strength": event.strength,
        "values": dict(event.values),
    }


def signal_event(message: Mapping[str, object]) -> SignalEvent:
    """Inverse of `signal_message` (the bot's delivery reading the collector's events); raises
    ValueError, KeyError or TypeError on a malformed message."""
    values = message.get("values") or {}
    if not isinstance(values, Mapping):
        raise TypeError("values must be an object")
    event_id = message.get("id")
    return SignalEvent(
        symbol=str(message["symbol"]),
        signal=SignalType(str(message["signal"])),
        interval=Interval(str(message["interval"])),
        ts=datetime.fromisoformat(str(message["ts"])),
        close=float(str(message["close"])),
        values={str(k): float(str(v)) for k, v in values.items()},
        strength=float(str(message["strength"])),
        id=int(str(event_id)) if event_id is not None else None,
    )
