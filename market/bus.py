"""The in-process event bus (`core.ports.EventBus`): topics -> subscribers, delivered synchronously.

Subscribers must not block (the API's stream puts into a bounded queue and drops a slow client).
A Redis adapter with the same three methods can replace it for several processes.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from datetime import datetime

from core.ports import EventBus, Notifier
from core.types import Quote, SignalEvent

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
