"""Reference data held in memory between bar closes (issue 25): watchers, instruments and ratings read
ahead, answered from memory while their data version is unchanged, and read again once anything of
theirs is written, by this process or by another one on the same database (both databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import pytest

from bot.views import pick_rating
from core.types import Chat, ChatKind, Instrument, Language, Market, SignalType, Tier, Watch, WatcherGroup
from storage import Database
from tests.storage.test_content import rating

GC, DC = SignalType.GOLDEN_CROSS, SignalType.DEATH_CROSS


@pytest.fixture
async def other(db: Database) -> AsyncIterator[Database]:
    """A second process's view of the same database (its own engine and repositories)."""
    second = await Database.open(db.url.render_as_string(hide_password=False), migrate=False)
    yield second
    await second.close()


def shape(found: dict[str, list[WatcherGroup]]) -> dict[str, list[tuple[object, ...]]]:
    """What the alert fan-out reads of each group."""
    return {
        s: [
            (g.chat.language, g.chat.tier, g.chat.active, sorted(g.watch.signals), g.chat_ids) for g in groups
        ]
        for s, groups in found.items()
    }


async def seed_watchers(db: Database, chats: Sequence[int], symbols: Sequence[str]) -> None:
    for cid in chats:
        await db.repos.chats.upsert_chat(
            Chat(cid, ChatKind.PRIVATE, language=Language.KO if cid % 2 else Language.EN)
        )
        for s in symbols:
            await db.repos.watches.upsert_watch(Watch(cid, s))


async def test_watcher_groups_from_memory_until_a_chat_or_watch_changes(
    db: Database, other: Database
) -> None:
    await seed_watchers(db, [1, 2, 3, 4], ["AAPL", "MSFT"])
    watches = db.repos.watches
    direct = await watches.list_watcher_groups(["AAPL", "MSFT", "NOPE"])
    assert await watches.cache_watcher_groups() == 8
    held = await watches.list_watcher_groups(["MSFT", "AAPL", "NOPE"])
    assert shape(held) == shape(direct)
    assert list(held) == ["AAPL", "MSFT"]
    assert held["AAPL"][0] is (await watches.list_watcher_groups(["AAPL"]))["AAPL"][0]  # from memory

    # every kind of write, from the other process, is seen by the next call of this one
    await other.repos.chats.upsert_chat(Chat(5, ChatKind.PRIVATE, tier=Tier.PREMIUM))
    await other.repos.watches.upsert_watch(Watch(5, "AAPL"))
    assert 5 in {c for g in (await watches.list_watcher_groups(["AAPL"]))["AAPL"] for c in g.chat_ids}
    await watches.cache_watcher_groups()
    await other.repos.watches.remove_watch(1, "AAPL")
    assert 1 not in {c for g in (await watches.list_watcher_groups(["AAPL"]))["AAPL"] for c in g.chat_ids}
    await watches.cache_watcher_groups()
    await other.repos.chats.set_active(2, False)
    assert 2 not in {c for g in (await watches.list_watcher_groups(["MSFT"]))["MSFT"] for c in g.chat_ids}
    await watches.cache_watcher_groups()
    await other.repos.chats.migrate_chat(3, -1003)
    msft = {c for g in (await watches.list_watcher_groups(["MSFT"]))["MSFT"] for c in g.chat_ids}
    assert -1003 in msft
    assert 3 not in msft
    await watches.cache_watcher_groups()
    chat4 = await other.repos.chats.get_chat(4)
    assert chat4 is not None
    await other.repos.chats.upsert_chat(replace(chat4, language=Language.EN))
    groups = (await watches.list_watcher_groups(["MSFT"]))["MSFT"]
    assert next(g for g in groups if 4 in g.chat_ids).chat.language is Language.EN

    # held again, the memory agrees with the database
    await watches.cache_watcher_groups()
    fresh = await other.repos.watches.list_watcher_groups(["AAPL", "MSFT"])
    assert shape(await watches.list_watcher_groups(["AAPL", "MSFT"])) == shape(fresh)


async def test_a_write_that_changes_nothing_keeps_the_memory(db: Database) -> None:
    await seed_watchers(db, [1], ["AAPL"])
    watches = db.repos.watches
    await watches.cache_watcher_groups()
    held = await watches.list_watcher_groups(["AAPL"])
    await db.repos.chats.set_active(1, True)  # already active
    assert not await watches.remove_watch(1, "NOPE")
    assert (await watches.list_watcher_groups(["AAPL"]))["AAPL"][0] is held["AAPL"][0]


async def test_instruments_from_memory_until_one_is_written(db: Database, other: Database) -> None:
    aapl = Instrument("AAPL", "Apple", Market.US, "USD", "America/New_York")
    kau = Instrument("KAU25", "KAU25 배출권", Market.KETS, "KRW", "Asia/Seoul")
    await db.repos.instruments.upsert_instruments([aapl, kau])
    instruments = db.repos.instruments
    assert await instruments.cache_instruments() == 2
    assert await instruments.get_instruments(["KAU25", "NOPE"]) == {"KAU25": kau}
    renamed = replace(kau, name="KAU25 할당배출권")
    await other.repos.instruments.upsert_instruments([renamed])
    assert await instruments.get_instruments(["KAU25", "AAPL"]) == {"AAPL": aapl, "KAU25": renamed}
    await instruments.cache_instruments()
    assert await instruments.get_instruments(["KAU25"]) == {"KAU25": renamed}


async def test_ratings_from_memory_pick_as_the_database_does(db: Database, other: Database) -> None:
    symbols = [f"S{n:03d}" for n in range(30)]
    await db.repos.ratings.upsert_ratings(
        [rating(s, GC, h) for s in symbols for h in (60, 20, 5)]
        + [rating("S001", DC, h) for h in (60, 10)]
        + [rating("S002", DC, 60)]
    )
    ratings = db.repos.ratings
    pairs = [(s, GC) for s in symbols] + [("S001", DC), ("S002", DC), ("S003", DC), ("NOPE", GC)]
    direct = await ratings.pick_ratings(pairs, 20)
    assert await ratings.cache_ratings(20) == 32
    assert await ratings.pick_ratings(pairs, 20) == direct
    assert direct[("S001", DC)].horizon == 10
    assert direct[("S002", DC)].horizon == 60
    for (symbol, signal), got in direct.items():
        assert got == pick_rating(await ratings.list_ratings(symbol), signal, 20)
    # another horizon is read from the database, and held once asked for
    assert (await ratings.pick_ratings([("S001", DC)], 60))[("S001", DC)].horizon == 60
    # a new backtest from the other process: seen at once
    await other.repos.ratings.upsert_ratings([rating("S001", DC, 20, grade="A"), rating("S003", DC, 5)])
    now = await ratings.pick_ratings(pairs, 20)
    assert (now[("S001", DC)].horizon, now[("S001", DC)].grade) == (20, "A")
    assert now[("S003", DC)].horizon == 5
    await ratings.cache_ratings(20)
    assert await ratings.pick_ratings(pairs, 20) == now == await other.repos.ratings.pick_ratings(pairs, 20)
    assert await ratings.cache_ratings(60) == 33  # held for the other horizon instead
    assert await ratings.pick_ratings(pairs, 60) == await other.repos.ratings.pick_ratings(pairs, 60)
