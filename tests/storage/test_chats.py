"""InstrumentRepo, ChatRepo and WatchRepo on both databases (Korean text included)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.errors import StorageError
from core.ports import Repositories
from core.timeutil import utcnow
from core.types import (
    ALL_SIGNALS,
    Chat,
    ChatKind,
    Instrument,
    Interval,
    Language,
    Market,
    OutboxMessage,
    QuietMode,
    SignalType,
    Tier,
    Watch,
)

SAMSUNG = Instrument(
    symbol="005930.KS",
    name="삼성전자",
    market=Market.KRX,
    currency="KRW",
    timezone="Asia/Seoul",
    sources=("krx", "yahoo"),
    source_symbols={"krx": "005930", "yahoo": "005930.KS"},
)
KAU = Instrument("KAU25", "KAU25 배출권", Market.KETS, "KRW", "Asia/Seoul", ("krx",))


async def test_instruments_upsert_get_list(repos: Repositories) -> None:
    await repos.instruments.upsert_instruments([SAMSUNG, KAU])
    await repos.instruments.upsert_instruments([SAMSUNG])  # idempotent
    assert await repos.instruments.get_instrument("005930.KS") == SAMSUNG
    assert await repos.instruments.get_instrument("NOPE") is None
    renamed = replace(KAU, name="KAU25", active=False)
    await repos.instruments.upsert_instruments([renamed])
    assert await repos.instruments.list_instruments() == [SAMSUNG]
    assert await repos.instruments.list_instruments(active_only=False) == [SAMSUNG, renamed]
    await repos.instruments.upsert_instruments([])


async def test_chat_round_trip_with_every_field(repos: Repositories) -> None:
    chat = Chat(
        chat_id=-1001234567890123,
        kind=ChatKind.SUPERGROUP,
        title="투자 모임 📈",
        tier=Tier.PREMIUM,
        language=Language.KO,
        timezone="Europe/Berlin",
        silent=True,
        quiet_start=22,
        quiet_end=7,
        quiet_mode=QuietMode.DROP,
        signals=frozenset({SignalType.GOLDEN_CROSS, SignalType.RSI_OVERSOLD}),
        news_alerts=True,
    )
    assert await repos.chats.upsert_chat(chat) == chat
    assert await repos.chats.get_chat(chat.chat_id) == chat
    assert await repos.chats.get_chat(42) is None


async def test_chat_upsert_replaces_and_lists(repos: Repositories) -> None:
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    await repos.chats.upsert_chat(Chat(2, ChatKind.PRIVATE, tier=Tier.PREMIUM))
    await repos.chats.upsert_chat(Chat(3, ChatKind.CHANNEL, active=False))
    updated = await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE, language=Language.KO))
    assert updated.language is Language.KO
    assert [c.chat_id for c in await repos.chats.list_chats()] == [1, 2]
    assert [c.chat_id for c in await repos.chats.list_chats(active_only=False)] == [1, 2, 3]
    assert [c.chat_id for c in await repos.chats.list_chats(tier="premium")] == [2]
    await repos.chats.set_active(2, False)
    assert [c.chat_id for c in await repos.chats.list_chats()] == [1]
    await repos.chats.set_active(3, True)
    assert [c.chat_id for c in await repos.chats.list_chats()] == [1, 3]


async def test_watches_crud(repos: Repositories) -> None:
    await repos.chats.upsert_chat(Chat(10, ChatKind.PRIVATE))
    await repos.chats.upsert_chat(Chat(11, ChatKind.GROUP))
    both = frozenset({SignalType.BREAKOUT_200, SignalType.BREAKDOWN_200})
    await repos.watches.upsert_watch(Watch(10, "AAPL"))
    await repos.watches.upsert_watch(Watch(10, "FCO2.DE", signals=both))
    await repos.watches.upsert_watch(Watch(11, "AAPL", muted=frozenset({SignalType.VOLUME_SPIKE})))
    await repos.watches.upsert_watch(Watch(10, "FCO2.DE", signals=both, muted=both))  # replace
    assert await repos.watches.list_watches(10) == [
        Watch(10, "AAPL"),
        Watch(10, "FCO2.DE", signals=both, muted=both),
    ]
    watchers = await repos.watches.list_watchers("AAPL")
    assert [(c.chat_id, w.chat_id) for c, w in watchers] == [(10, 10), (11, 11)]
    assert not watchers[1][1].wants(SignalType.VOLUME_SPIKE)
    await repos.chats.set_active(11, False)
    assert [c.chat_id for c, _ in await repos.watches.list_watchers("AAPL")] == [10]
    assert await repos.watches.list_watched_symbols() == ["AAPL", "FCO2.DE"]
    assert await repos.watches.remove_watch(10, "AAPL") is True
    assert await repos.watches.remove_watch(10, "AAPL") is False
    assert await repos.watches.list_watched_symbols() == ["FCO2.DE"]


async def test_watch_for_unknown_chat_is_a_storage_error(repos: Repositories) -> None:
    with pytest.raises(StorageError, match="unknown chat 999"):
        await repos.watches.upsert_watch(Watch(999, "AAPL"))


async def test_migrate_chat_moves_watches_and_pending_outbox(repos: Repositories) -> None:
    old, new = -4001, -1004001
    await repos.chats.upsert_chat(Chat(old, ChatKind.GROUP, title="그룹", tier=Tier.PREMIUM))
    await repos.watches.upsert_watch(Watch(old, "AAPL"))
    await repos.watches.upsert_watch(Watch(old, "MSFT"))
    await repos.outbox.enqueue(
        [OutboxMessage(old, "a", "pending one"), OutboxMessage(old, "b", "already sent")]
    )
    (first, second) = await repos.outbox.claim_pending(utcnow())
    assert first.id is not None
    assert second.id is not None
    await repos.outbox.mark_sent(second.id, 77, utcnow())

    await repos.chats.migrate_chat(old, new)

    moved = await repos.chats.get_chat(new)
    assert moved is not None
    assert moved.kind is ChatKind.SUPERGROUP
    assert (moved.title, moved.tier) == ("그룹", Tier.PREMIUM)
    previous = await repos.chats.get_chat(old)
    assert previous is not None
    assert previous.active is False
    assert [w.symbol for w in await repos.watches.list_watches(new)] == ["AAPL", "MSFT"]
    assert await repos.watches.list_watches(old) == []
    pending = await repos.outbox.claim_pending(utcnow())
    assert [(m.chat_id, m.dedup_key) for m in pending] == [(new, "a")]
    await repos.chats.migrate_chat(old, new)  # again: nothing left to move, no error
    await repos.chats.migrate_chat(12345, 54321)  # unknown chat: nothing happens
    assert await repos.chats.get_chat(54321) is None


async def test_migrate_chat_into_existing_chat_keeps_its_watches(repos: Repositories) -> None:
    await repos.chats.upsert_chat(Chat(-1, ChatKind.GROUP))
    await repos.chats.upsert_chat(Chat(-100, ChatKind.SUPERGROUP, language=Language.KO))
    only_gc = frozenset({SignalType.GOLDEN_CROSS})
    await repos.watches.upsert_watch(Watch(-1, "AAPL"))
    await repos.watches.upsert_watch(Watch(-1, "IBM"))
    await repos.watches.upsert_watch(Watch(-100, "AAPL", signals=only_gc))
    await repos.chats.migrate_chat(-1, -100)
    assert await repos.watches.list_watches(-100) == [
        Watch(-100, "AAPL", signals=only_gc),
        Watch(-100, "IBM"),
    ]
    chat = await repos.chats.get_chat(-100)
    assert chat is not None
    assert chat.language is Language.KO


async def test_get_instruments_many(repos: Repositories) -> None:
    others = [replace(KAU, symbol=f"KAU{n:04d}", name=f"배출권 {n}") for n in range(2500)]
    await repos.instruments.upsert_instruments([SAMSUNG, *others])
    wanted = ["005930.KS", "NOPE", *(i.symbol for i in others[::2])]
    got = await repos.instruments.get_instruments(wanted)
    assert set(got) == {"005930.KS", *(i.symbol for i in others[::2])}
    assert got["005930.KS"] == SAMSUNG
    assert got["KAU0002"] == others[2]
    assert await repos.instruments.get_instruments([]) == {}


async def test_list_watchers_many_matches_list_watchers(repos: Repositories) -> None:
    for chat_id in range(1, 8):
        await repos.chats.upsert_chat(Chat(chat_id, ChatKind.PRIVATE, language=Language.KO))
    symbols = [f"S{n:04d}" for n in range(2100)]  # more than one query's worth
    for n, symbol in enumerate(symbols):
        if n % 3:
            await repos.watches.upsert_watch(Watch(1 + n % 7, symbol))
    await repos.watches.upsert_watch(Watch(5, "S0001", muted=frozenset({SignalType.VOLUME_SPIKE})))
    await repos.watches.upsert_watch(Watch(2, "S0001"))
    await repos.chats.set_active(3, False)
    many = await repos.watches.list_watchers_many([*symbols, "NOPE", "S0001"])
    for symbol in ["S0000", "S0001", "S0002", "S0004", "S0005", "S2099", "NOPE"]:
        assert many.get(symbol, []) == await repos.watches.list_watchers(symbol), symbol
    assert [c.chat_id for c, _ in many["S0001"]] == [2, 5]
    assert all(c.chat_id != 3 for pairs in many.values() for c, _ in pairs)
    expected = {s for n, s in enumerate(symbols) if n % 3 and 1 + n % 7 != 3}
    assert set(many) == expected
    assert await repos.watches.list_watchers_many([]) == {}
    # grouped for the alert fan-out: the same chats, each group's members alike but for id and title
    groups = await repos.watches.list_watcher_groups([*symbols, "NOPE", "S0001"])
    assert set(groups) == expected
    for symbol, pairs in many.items():
        flat = sorted((cid, g) for g in groups[symbol] for cid in g.chat_ids)
        assert [cid for cid, _ in flat] == [c.chat_id for c, _ in pairs], symbol
        for (_, g), (chat, watch) in zip(flat, pairs, strict=True):
            assert replace(g.chat, chat_id=chat.chat_id, title=chat.title) == chat
            assert replace(g.watch, chat_id=chat.chat_id) == watch
    assert len(groups["S0001"]) == 2  # chat 5 mutes spikes there: not alike chat 2
    assert await repos.watches.list_watcher_groups([]) == {}


async def test_watch_timeframes_round_trip_and_select_watched_symbols(repos: Repositories) -> None:
    await repos.chats.upsert_chat(Chat(41, ChatKind.PRIVATE))
    await repos.chats.upsert_chat(Chat(42, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(41, "005930.KS", intervals=frozenset({Interval.M5, Interval.D1})))
    await repos.watches.upsert_watch(Watch(42, "000660.KS"))  # daily, the default
    await repos.watches.upsert_watch(Watch(42, "035420.KS", intervals=frozenset({Interval.M15})))
    [w] = await repos.watches.list_watches(41)
    assert w.intervals == {Interval.M5, Interval.D1}
    assert (await repos.watches.list_watches(42))[0].intervals == {Interval.D1}
    many = await repos.watches.list_watchers_many(["035420.KS"])
    assert many["035420.KS"][0][1].intervals == {Interval.M15}
    assert await repos.watches.list_watched_symbols(Interval.M5) == ["005930.KS"]
    assert await repos.watches.list_watched_symbols(Interval.M15) == ["035420.KS"]
    assert await repos.watches.list_watched_symbols(Interval.M1) == []
    assert await repos.watches.list_watched_symbols() == ["000660.KS", "005930.KS", "035420.KS"]


async def test_all_seven_signals_stored_before_the_flow_signals_read_as_all(repos: Repositories) -> None:
    seven = frozenset(list(SignalType)[:7])  # "all" as stored before Bollinger, patterns and flows
    await repos.chats.upsert_chat(Chat(77, ChatKind.PRIVATE, signals=seven))
    await repos.watches.upsert_watch(Watch(77, "005930.KS", signals=seven))
    await repos.watches.upsert_watch(Watch(77, "AAPL", signals=frozenset({SignalType.GOLDEN_CROSS})))
    chat = await repos.chats.get_chat(77)
    assert chat is not None
    assert chat.signals == ALL_SIGNALS  # "all" when there were seven: the flow signals too
    watches = {w.symbol: w.signals for w in await repos.watches.list_watches(77)}
    assert watches == {"005930.KS": ALL_SIGNALS, "AAPL": frozenset({SignalType.GOLDEN_CROSS})}
