"""OutboxNotifier over many events and symbols at once: the batched lookups keep every per-chat rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.delivery import OutboxNotifier
from core.ports import OutboxRepo, Repositories
from core.types import (
    Chat,
    ChatKind,
    DeliveryStatus,
    Fanout,
    Interval,
    Language,
    OutboxMessage,
    QuietMode,
    Rating,
    SignalEvent,
    SignalType,
    Tier,
    Watch,
)
from tests.bot.fakes import INSTRUMENTS, NOW, FakeClock

GOLDEN, SPIKE, RSI = SignalType.GOLDEN_CROSS, SignalType.VOLUME_SPIKE, SignalType.RSI_OVERSOLD


def ev(symbol: str, signal: SignalType, close: float) -> SignalEvent:
    return SignalEvent(symbol, signal, Interval.D1, NOW - timedelta(days=1), close, {"sma50": 1.5}, 2.0)


def rating(symbol: str, signal: SignalType, horizon: int, hit: float) -> Rating:
    period = (datetime(2016, 11, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    return Rating(symbol, signal, horizon, 11, hit, 0.02, 0.018, 0.004, 0.017, 2.1, -0.08, "B", *period)


class CountingOutbox:
    """The real outbox repo, counting `enqueue` and `enqueue_fanouts` calls (each one transaction)."""

    def __init__(self, inner: OutboxRepo) -> None:
        self._inner = inner
        self.calls = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def enqueue(self, messages: Sequence[OutboxMessage]) -> int:
        self.calls += 1
        return await self._inner.enqueue(messages)

    async def enqueue_fanouts(self, fanouts: Sequence[Fanout], messages: Sequence[OutboxMessage] = ()) -> int:
        self.calls += 1
        self.fanouts.extend(fanouts)
        return await self._inner.enqueue_fanouts(fanouts, messages)

    @property
    def fanouts(self) -> list[Fanout]:
        return self.__dict__.setdefault("_fanouts", [])

    async def existing_keys(self, keys: Sequence[str]) -> set[str]:
        self.asked.extend(keys)
        return await self._inner.existing_keys(keys)

    @property
    def asked(self) -> list[str]:
        return self.__dict__.setdefault("_asked", [])


async def setup(repos: Repositories) -> None:
    await repos.instruments.upsert_instruments([INSTRUMENTS["FCO2.DE"], INSTRUMENTS["KAU25"]])
    chats = [
        (Chat(1, ChatKind.PRIVATE), ["FCO2.DE", "KAU25", "NONAME"]),
        (Chat(2, ChatKind.PRIVATE, language=Language.KO, quiet_start=8, quiet_end=10), ["KAU25"]),
        (Chat(3, ChatKind.GROUP, quiet_start=8, quiet_end=10, quiet_mode=QuietMode.DROP), ["FCO2.DE"]),
        (Chat(5, ChatKind.PRIVATE, signals=frozenset({RSI})), ["FCO2.DE", "KAU25"]),
        (Chat(6, ChatKind.PRIVATE, active=False), ["FCO2.DE", "KAU25"]),
        (Chat(7, ChatKind.CONSOLE), ["FCO2.DE"]),
        (Chat(8, ChatKind.PRIVATE, silent=True, timezone="Europe/Berlin"), ["KAU25"]),
    ]
    for chat, symbols in chats:
        await repos.chats.upsert_chat(chat)
        for symbol in symbols:
            await repos.watches.upsert_watch(Watch(chat.chat_id, symbol))
    await repos.chats.upsert_chat(Chat(4, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(4, "NONAME", muted=frozenset({GOLDEN})))
    await repos.watches.upsert_watch(Watch(4, "KAU25", signals=frozenset({SPIKE})))
    await repos.ratings.upsert_ratings(
        [
            rating("FCO2.DE", GOLDEN, 20, 0.64),
            rating("FCO2.DE", GOLDEN, 5, 0.51),
            rating("KAU25", GOLDEN, 10, 0.71),  # no 20-day rating: the shortest one available
            rating("KAU25", GOLDEN, 60, 0.33),
            rating("KAU25", SPIKE, 20, 0.42),
        ]
    )


async def test_many_events_one_enqueue_same_rows_as_one_by_one(
    sqlite_repos: Repositories, clock: FakeClock
) -> None:
    await setup(sqlite_repos)
    outbox = CountingOutbox(sqlite_repos.outbox)
    repos = replace(sqlite_repos, outbox=outbox)
    events = await repos.events.add_events(
        [
            ev("FCO2.DE", GOLDEN, 71.25),
            ev("KAU25", GOLDEN, 9050.0),
            ev("KAU25", SPIKE, 9050.0),
            ev("NONAME", GOLDEN, 3.5),
            ev("NONAME", SPIKE, 3.5),
            ev("UNWATCHED", GOLDEN, 1.0),
        ]
    )
    notifier = OutboxNotifier(repos, clock=clock)
    one_by_one = [m for e in events for m in await notifier.messages_for(e)]
    batched = await notifier.messages_for_events(events)
    assert batched == one_by_one

    # FCO2.DE: 3 drops in quiet hours, 5 wants RSI only, 6 inactive, 7 is the console;
    # KAU25 golden: 4 watches spikes only; NONAME golden: 4 muted it; UNWATCHED: nobody
    expected = [(0, 1), (1, 1), (1, 2), (1, 8), (2, 1), (2, 2), (2, 4), (2, 8), (3, 1), (4, 1), (4, 4)]
    assert await notifier.publish(events) == len(batched) == len(expected)
    assert outbox.calls == 1
    assert await notifier.publish(events) == 0  # again: nothing new
    rows = await repos.outbox.claim_pending(NOW + timedelta(days=1))
    assert [(m.chat_id, m.dedup_key, m.event_id) for m in rows] == [
        (c, f"alert:{events[i].key}:{c}", events[i].id) for i, c in expected
    ]
    text = {(m.chat_id, m.event_id): m for m in rows}
    fco2, kau_golden, kau_spike, noname = (e.id for e in events[:4])
    assert "SparkChange" in text[1, fco2].text
    assert "20-day hit rate 64%" in text[1, fco2].text
    assert "Korean Allowance Unit 2025" in text[1, kau_golden].text
    assert "10-day hit rate 71%" in text[1, kau_golden].text
    assert "20-day hit rate 42%" in text[1, kau_spike].text
    assert "hit rate" not in text[1, noname].text
    assert "Golden cross" in text[1, noname].text
    held = text[2, kau_golden]
    assert held.not_before == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert "2026-11-20 마감 12:00 KST" in held.text
    assert held.text != text[1, kau_golden].text  # Korean
    assert text[8, kau_golden].silent
    assert text[8, kau_golden].not_before is None
    assert text[4, kau_spike].reply_markup == text[1, kau_spike].reply_markup
    assert {m.chat_id for m in await repos.outbox.claim_pending(NOW)} == {1, 4, 8}


async def test_no_watchers_no_enqueue(sqlite_repos: Repositories, clock: FakeClock) -> None:
    outbox = CountingOutbox(sqlite_repos.outbox)
    notifier = OutboxNotifier(replace(sqlite_repos, outbox=outbox), clock=clock)
    events = await sqlite_repos.events.add_events([ev("UNWATCHED", GOLDEN, 1.0)])
    assert await notifier.publish(events) == 0
    assert await notifier.publish([]) == 0
    assert outbox.calls == 0


async def test_close_folds_only_the_chats_with_two_alerts(
    sqlite_repos: Repositories, clock: FakeClock
) -> None:
    outbox = CountingOutbox(sqlite_repos.outbox)
    repos = replace(sqlite_repos, outbox=outbox)
    await setup(repos)
    await repos.chats.upsert_chat(Chat(9, ChatKind.PRIVATE, tier=Tier.PREMIUM))
    for symbol in ("FCO2.DE", "KAU25"):
        await repos.watches.upsert_watch(Watch(9, symbol))
    events = await repos.events.add_events(
        [ev("FCO2.DE", GOLDEN, 71.25), ev("KAU25", GOLDEN, 9050.0), ev("KAU25", SPIKE, 9050.0)]
    )
    notifier = OutboxNotifier(repos, clock=clock, digest=True)
    assert await notifier.publish_close(events, []) > 0
    assert await notifier.publish_close(events, []) == 0  # the same close again: nothing new
    rows = await repos.outbox.claim_pending(NOW + timedelta(days=1), limit=100)
    assert sorted(m.chat_id for m in rows) == [1, 2, 4, 8, 9]  # one message per chat
    mine = {m.chat_id: m for m in rows}
    assert mine[4].dedup_key == f"alert:{events[2].key}:4"  # one alert (spikes only): as it is
    for chat in (1, 2, 8, 9):  # two or three alerts: one digest
        assert mine[chat].dedup_key.startswith("digest:"), chat
        assert mine[chat].dedup_key.endswith(f":{chat}"), chat
    assert mine[9].premium
    assert not mine[1].premium
    assert mine[8].silent
    assert mine[2].not_before == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert mine[1].text.startswith("🔔 <b>3 alerts</b>")
    assert mine[1].text.count("FCO2.DE") == 1
    assert mine[9].text == mine[1].text  # same alerts, same language: the same digest
    # ... written once, as one fan-out: their rows differ in the chat alone
    assert mine[9].dedup_key.rsplit(":", 1)[0] == mine[1].dedup_key.rsplit(":", 1)[0]
    folded = [f"alert:{e.key}:{c}" for e in events for c in (1, 9)]
    assert await repos.outbox.existing_keys(folded) == set(folded)  # recorded as skipped, not sent alone
    # ... without a copy of their texts (the digest holds them) or buttons
    skipped = [f for f in outbox.fanouts if f.status is DeliveryStatus.SKIPPED]
    assert {f"{f.key}:{r[0]}" for f in skipped for r in f.recipients} >= set(folded)
    assert all(f.texts and set(f.texts) == {""} and set(f.markups) == {None} for f in skipped)
    assert all(t for f in outbox.fanouts if f.status is DeliveryStatus.PENDING for t in f.texts)


async def test_a_close_looks_up_only_the_alerts_of_events_it_did_not_create(
    sqlite_repos: Repositories, clock: FakeClock
) -> None:
    """Events a close stored for the first time have nothing in the outbox: the digest's check of
    what is enqueued asks only about the others (a re-run's), and the rows come out the same."""
    await setup(sqlite_repos)
    outbox = CountingOutbox(sqlite_repos.outbox)
    repos = replace(sqlite_repos, outbox=outbox)
    fco2, kau = ev("FCO2.DE", GOLDEN, 71.25), ev("KAU25", GOLDEN, 9050.0)
    first = await repos.events.add_events([fco2, kau])
    notifier = OutboxNotifier(repos, clock=clock, digest=True)
    assert await notifier.publish_close(first, [], created={e.key for e in first}) > 0
    assert outbox.asked == []  # chat 1 gets a digest of both, and nothing was looked up

    # a re-run of the close with one more event: the two stored before are looked up, and their
    # alerts (in chat 1's digest already) are not sent again, on their own or in a new digest
    spike = (await repos.events.add_events([ev("KAU25", SPIKE, 9050.0)]))[0]
    assert await notifier.publish_close([*first, spike], [], created={spike.key}) == 4  # chats 1, 2, 4, 8
    # asked about: the re-run's alerts of the chats with more than one (4 has the spike alone)
    fco2_key, kau_key = (e.key for e in first)
    assert sorted(outbox.asked) == sorted(
        [f"alert:{fco2_key}:1", f"alert:{kau_key}:1", f"alert:{kau_key}:2", f"alert:{kau_key}:8"]
    )
    rows = await repos.outbox.claim_pending(NOW + timedelta(days=1), limit=100)
    mine = [(m.chat_id, m.dedup_key) for m in rows if m.chat_id == 1]
    assert len(mine) == 2  # the first digest, then the spike alone (the other two were sent)
    assert mine[1] == (1, f"alert:{spike.key}:1")
