"""Bare `KAU` / `KCU` follow the front vintage.

A chat that watches `KAU` (not `KAU25`) is recorded as a follower of the alias (state key
`front_follow:KAU`, a JSON list of chat ids); its watch row holds the vintage the alias points to now,
so every other part of the house (quotes, signals, delivery) sees an ordinary symbol. `roll_fronts`,
run by the daily K-ETS job after the new bars are stored, finds the front vintage again (the largest
volume on the latest stored day, `resolver.front_vintage`); when it changed it moves each follower's
watch (signal choices and mutes kept) to the new vintage and returns what moved so the caller can tell
each follower once. The alias's current vintage is kept under `front:KAU`, which `/price KAU` and
`/chart KAU` read through the resolver, so they switch at the same moment as the alerts. Watches on an
explicit vintage (`/watch KAU25`) are never followers and stay as written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from core.ports import Repositories
from core.types import Market
from market.resolver import current_front, front_key, front_vintage, make_instrument

logger = logging.getLogger(__name__)

FRONT_ALIASES = ("KAU", "KCU")


def _follow_key(alias: str) -> str:
    return f"front_follow:{alias}"


@dataclass(frozen=True, slots=True)
class Roll:
    """The front vintage of `alias` moved from `old` to `new`; `chats` were moved with it."""

    alias: str
    old: str
    new: str
    chats: tuple[int, ...]


async def _followers(repos: Repositories, alias: str) -> list[int]:
    raw = await repos.state.get_state(_follow_key(alias))
    return [int(c) for c in json.loads(raw)] if raw else []


async def _put_followers(repos: Repositories, alias: str, chats: list[int]) -> None:
    await repos.state.put_state(_follow_key(alias), json.dumps(sorted(set(chats))).encode())


async def follow(repos: Repositories, chat_id: int, alias: str, vintage: str) -> None:
    """`chat_id` watches `alias` (now `vintage`): it moves with the front vintage from now on."""
    chats = await _followers(repos, alias)
    if chat_id not in chats:
        await _put_followers(repos, alias, [*chats, chat_id])
    if await current_front(repos, alias) is None:
        await repos.state.put_state(front_key(alias), vintage.encode())


async def unfollow(repos: Repositories, chat_id: int, symbol: str) -> None:
    """`chat_id` stopped watching `symbol`: it no longer follows any alias that points there."""
    for alias in FRONT_ALIASES:
        if symbol.upper() == alias or (await current_front(repos, alias)) == symbol:
            chats = await _followers(repos, alias)
            if chat_id in chats:
                await _put_followers(repos, alias, [c for c in chats if c != chat_id])


async def followed(repos: Repositories, chat_id: int) -> dict[str, str]:
    """vintage -> alias for the aliases `chat_id` follows (the watchlist shows `KAU26 (KAU)`)."""
    out: dict[str, str] = {}
    for alias in FRONT_ALIASES:
        front = await current_front(repos, alias)
        if front and chat_id in await _followers(repos, alias):
            out[front] = alias
    return out


async def roll_fronts(repos: Repositories, now: datetime) -> list[Roll]:
    """Find each alias's front vintage again; move followers' watches when it changed."""
    rolls: list[Roll] = []
    for alias in FRONT_ALIASES:
        new = await front_vintage(repos, alias, now, recorded=False)
        old = await current_front(repos, alias)
        if old == new:
            continue
        await repos.state.put_state(front_key(alias), new.encode())
        if old is None:
            continue  # the first record: nobody followed anything else before
        if await repos.instruments.get_instrument(new) is None:
            await repos.instruments.upsert_instruments([make_instrument(new, Market.KETS)])
        moved: list[int] = []
        for chat_id in await _followers(repos, alias):
            watches = {w.symbol: w for w in await repos.watches.list_watches(chat_id)}
            watch = watches.get(old)
            if watch is None:
                continue
            await repos.watches.upsert_watch(replace(watch, symbol=new))
            await repos.watches.remove_watch(chat_id, old)
            moved.append(chat_id)
        logger.info("front vintage %s: %s -> %s, %d watches moved", alias, old, new, len(moved))
        rolls.append(Roll(alias, old, new, tuple(moved)))
    return rolls
