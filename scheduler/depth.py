"""Korean market depth in the scheduler (issue 21): flow signals after the flows are collected, the
daily KRX listing refresh (delisted stocks stop collecting, their watchers are told once), and the
rule that a halted stock raises no signal."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol

from core.labels import delisted_notice
from core.ports import Notifier, Repositories
from core.settings import Settings
from core.types import (
    FLOW_SIGNALS,
    Instrument,
    Listing,
    ListingStatus,
    Market,
    OutboxMessage,
    SignalEvent,
)
from market.listings import code_of
from scheduler.ports import DepthPort
from signals.flows import flow_events

logger = logging.getLogger(__name__)


class Runtime(Protocol):
    """What these jobs use of `scheduler.runtime.Runtime`."""

    settings: Settings
    repos: Repositories
    notifier: Notifier
    depth: DepthPort | None


async def halted_codes(repos: Repositories) -> set[str]:
    return {x.code for x in await repos.listings.list_listings(status=ListingStatus.HALTED)}


async def drop_halted(repos: Repositories, events: Sequence[SignalEvent]) -> list[SignalEvent]:
    """`events` without those of halted KRX stocks (a halted stock raises no signal)."""
    if not events:
        return []
    halted = await halted_codes(repos)
    if not halted:
        return list(events)
    kept = [e for e in events if code_of(e.symbol) not in halted]
    if len(kept) < len(events):
        logger.info("%d signals of halted stocks dropped", len(events) - len(kept))
    return kept


async def fire_flow_signals(rt: Runtime, stocks: Iterable[Instrument]) -> int:
    """Evaluate foreign_buy_streak and smart_money_buy on the stored flows of `stocks` (their latest
    session); store new events and hand them to the notifier. Returns the number of new events."""
    n = rt.settings.foreign_streak_days
    events: list[SignalEvent] = []
    for inst in stocks:
        flows = await rt.repos.flows.list_flows(inst.symbol, limit=n + 1)
        events.extend(flow_events(flows, streak_days=n, enabled=frozenset(FLOW_SIGNALS)))
    events = await drop_halted(rt.repos, events)
    new = await rt.repos.events.add_events(events) if events else []
    if new:
        await rt.notifier.publish(new)
    return len(new)


async def refresh_listings(rt: Runtime) -> str:
    """The day's KRX listing: store it, retire delisted stocks (and tell their watchers once), mark halts."""
    if rt.depth is None:
        return "no market depth source"
    watched = set(await rt.repos.watches.list_watched_symbols())
    stocks = [i for i in await rt.repos.instruments.list_instruments() if i.market == Market.KRX]
    changes = await rt.depth.listings.refresh([i for i in stocks if i.symbol in watched])
    told = await _retire(rt, stocks, changes.delisted)
    return f"{changes.summary()}, {told} watchers told"


async def _retire(rt: Runtime, stocks: list[Instrument], delisted: list[Listing]) -> int:
    """Delisted stocks: instruments inactive (no more collection), watches removed, watchers told once."""
    gone = {x.code: x for x in delisted}
    retired = [i for i in stocks if code_of(i.symbol) in gone]
    if not retired:
        return 0
    await rt.repos.instruments.upsert_instruments([_inactive(i) for i in retired])
    messages: list[OutboxMessage] = []
    for inst in retired:
        listing = gone[code_of(inst.symbol)]
        for chat, _watch in await rt.repos.watches.list_watchers(inst.symbol):
            lang = chat.language.value
            name = html.escape(listing.name if lang == "ko" or not listing.name_en else listing.name_en)
            text = delisted_notice(lang, inst.symbol, name, listing.since.isoformat())
            key = f"delisted:{inst.symbol}:{listing.since.isoformat()}:{chat.chat_id}"
            messages.append(OutboxMessage(chat.chat_id, key, text, kind="notice"))
            await rt.repos.watches.remove_watch(chat.chat_id, inst.symbol)
    if messages:
        await rt.repos.outbox.enqueue(messages)
    logger.info("delisted: %s", ", ".join(i.symbol for i in retired))
    return len(messages)


def _inactive(inst: Instrument) -> Instrument:
    return replace(inst, active=False)
