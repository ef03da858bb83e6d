"""Scale-out wiring (issue 20): with FINSIGNAL_REDIS_URL, the event bus on Redis Streams and the Redis
hot tier behind the quote cache; without it, the in-process bus and cache exactly as before."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.delivery import OutboxNotifier
from core.ports import EventBus, Repositories
from core.settings import Settings
from core.timeutil import Clock
from market.bus import LocalEventBus, signal_event, signal_message
from market.hot_quotes import RedisQuoteTier
from market.hot_tier import HotTier
from market.redis_bus import KINDS, Event, RedisEventBus, Sink
from market.redis_conn import connect, mask

logger = logging.getLogger(__name__)


@dataclass
class Wiring:
    bus: EventBus
    hot: RedisQuoteTier | None = None
    tier: HotTier | None = None  # bars, flows, indicator summaries (market/hot_tier.py)


def consumer_name(settings: Settings) -> tuple[str, bool]:
    """(group, ephemeral): FINSIGNAL_REDIS_CONSUMER names a durable group that resumes after a restart
    (the bot, the collector; a bot process defaults to 'bot'); unset, each process gets its own
    'host:pid' group, removed when it stops
    (API workers: every worker sees every event, and a restarted one has nothing to catch up)."""
    named = settings.redis_consumer.strip() or ("bot" if settings.role == "bot" else "")
    return (named, False) if named else (f"{socket.gethostname()}:{os.getpid()}", True)


@asynccontextmanager
async def open_scaleout(settings: Settings) -> AsyncIterator[Wiring]:
    if not settings.redis_url:
        yield Wiring(LocalEventBus())
        return
    consumer, ephemeral = consumer_name(settings)
    bus = RedisEventBus(
        connect(settings.redis_url),
        consumer=consumer,
        maxlen=settings.redis_stream_maxlen,
        buffer_max=settings.redis_buffer_max,
        ephemeral=ephemeral,
        kinds=(*KINDS, "hot"),  # hot:<kind>:<symbol>: another process wrote the hot tier (drop L1)
    )
    hot_client = connect(settings.redis_url)
    hot = RedisQuoteTier(hot_client, ttl_s=settings.redis_quote_ttl_s)
    tier = HotTier(
        hot_client,
        bars_ttl_s=settings.redis_bars_ttl_s,
        bars_hours=settings.redis_bars_hours,
        flows_ttl_s=settings.redis_flows_ttl_s,
        indicators_ttl_s=settings.redis_indicators_ttl_s,
        publish=bus.publish,
    )
    bus.on_remote("hot", tier.on_event)
    bus.on_remote("bar", tier.on_bar)  # a closed bar: the L1 window of its series is stale
    await bus.start(read=False)  # the composition root starts reading once its hooks are in place
    logger.info(
        "scale-out on redis %s: event streams (consumer %s) and hot quote tier",
        mask(settings.redis_url),
        consumer,
    )
    try:
        yield Wiring(bus, hot, tier)
    finally:
        await bus.close()
        await hot_client.aclose()


def outbox_sink(repos: Repositories, clock: Clock) -> Sink:
    """The bot's delivery consuming the collector's signal events: each batch into the outbox, one row
    per (event, watching chat) under its dedup key, so an event delivered twice enqueues nothing new.
    Raising (the database is down) leaves the batch unacknowledged: the bus retries it."""
    notifier = OutboxNotifier(repos, clock=clock)

    async def sink(events: list[Event]) -> None:
        parsed = []
        for topic, message in events:
            try:
                parsed.append(signal_event(message))
            except (KeyError, ValueError, TypeError) as exc:
                logger.warning("signal event on %s malformed (%s): skipped", topic, exc)
        if parsed:
            await notifier.publish(parsed)
            await notifier.read_ahead()  # for the next batch: it then reads only versions

    return sink


class StoredSignals:
    """`market.redis_bus.SignalStore` over the events repository: the collector re-publishes the
    stored signal events the stream missed (a restart while Redis was down loses its buffer)."""

    def __init__(self, repos: Repositories) -> None:
        self._repos = repos

    async def latest_id(self) -> int:
        latest = 0
        while batch := await self._repos.events.events_after(latest, 10_000):
            latest = batch[-1].id or latest
        return latest

    async def events_after(self, event_id: int) -> list[Event]:
        out: list[Event] = []
        while batch := await self._repos.events.events_after(event_id, 1000):
            out.extend((f"signal:{e.symbol}", signal_message(e)) for e in batch)
            event_id = batch[-1].id or event_id + len(batch)
        return out
