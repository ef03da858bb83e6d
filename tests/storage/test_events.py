"""EventRepo and OutboxRepo on both databases: dedup across re-runs, exactly-once fan-out, states."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.ports import Repositories
from core.types import DeliveryStatus, Interval, OutboxMessage, SignalEvent, SignalType
from storage import Database

T0 = datetime(2025, 6, 2, tzinfo=UTC)


def event(symbol: str, signal: SignalType, day: int, close: float = 101.5) -> SignalEvent:
    return SignalEvent(
        symbol=symbol,
        signal=signal,
        interval=Interval.D1,
        ts=T0 + timedelta(days=day),
        close=close,
        values={"sma50": 99.25, "sma200": 98.0, "rsi14": 61.5},
        strength=3.5,
    )


async def test_add_events_returns_only_new_ones_with_ids(repos: Repositories) -> None:
    first = [event("AAPL", SignalType.GOLDEN_CROSS, 0), event("AAPL", SignalType.VOLUME_SPIKE, 0)]
    new = await repos.events.add_events(first)
    assert [e.signal for e in new] == [SignalType.GOLDEN_CROSS, SignalType.VOLUME_SPIKE]
    assert all(e.id is not None for e in new)
    assert new[0] == replace(first[0], id=new[0].id)
    # a re-fetch after a restart produces the same events again, plus one new
    again = [*first, event("AAPL", SignalType.GOLDEN_CROSS, 1), event("AAPL", SignalType.GOLDEN_CROSS, 1)]
    newer = await repos.events.add_events(again)
    assert [(e.signal, e.ts) for e in newer] == [(SignalType.GOLDEN_CROSS, T0 + timedelta(days=1))]
    assert await repos.events.add_events([]) == []
    assert len(await repos.events.list_events()) == 3


async def test_add_events_returns_the_events_as_stored(repos: Repositories) -> None:
    """The new events come back with their ids and as a later read gives them (UTC, floats)."""
    seoul = timezone(timedelta(hours=9))
    events = [
        event("AAPL", SignalType.GOLDEN_CROSS, 0, close=187.12345678),
        replace(
            event("005930.KS", SignalType.VOLUME_SPIKE, 0), ts=datetime(2025, 6, 2, 15, 30, tzinfo=seoul)
        ),
        replace(event("AAPL", SignalType.RSI_OVERSOLD, 0), interval=Interval.M5, values={"rsi": 28, "n": 14}),
        replace(event("AAPL", SignalType.GOLDEN_CROSS, 0), pair=SignalType.VOLUME_SPIKE, strength=2),
    ]
    new = await repos.events.add_events(events)
    stored = {e.id: e for e in await repos.events.list_events(limit=10)}
    assert len(new) == len(stored) == 4
    assert new == [stored[e.id] for e in new]
    assert [e.ts.tzinfo for e in new] == [UTC] * 4
    assert new[1].ts == datetime(2025, 6, 2, 6, 30, tzinfo=UTC)


async def test_list_events_newest_first_with_filters(repos: Repositories) -> None:
    await repos.events.add_events(
        [event("AAPL", SignalType.RSI_OVERSOLD, d) for d in range(5)]
        + [event("IBM", SignalType.DEATH_CROSS, 2)]
    )
    listed = await repos.events.list_events("AAPL", limit=3)
    assert [e.ts.day for e in listed] == [6, 5, 4]
    assert all(e.ts.tzinfo is UTC for e in listed)
    since = await repos.events.list_events(since=T0 + timedelta(days=2))
    assert sorted((e.symbol, e.ts.day) for e in since) == [("AAPL", 4), ("AAPL", 5), ("AAPL", 6), ("IBM", 4)]
    assert await repos.events.list_events("NOPE") == []


def msg(chat_id: int, key: str, **kw: object) -> OutboxMessage:
    return OutboxMessage(chat_id=chat_id, dedup_key=key, text=f"알림 {key} ✅", **kw)  # type: ignore[arg-type]


async def test_enqueue_is_exactly_once(repos: Repositories) -> None:
    (ev,) = await repos.events.add_events([event("AAPL", SignalType.BREAKOUT_200, 0)])
    batch = [msg(c, f"ev{ev.id}:{c}", event_id=ev.id) for c in range(1, 6)]
    assert await repos.outbox.enqueue(batch) == 5
    assert await repos.outbox.enqueue(batch) == 0
    assert await repos.outbox.enqueue([*batch, msg(6, f"ev{ev.id}:6"), msg(6, f"ev{ev.id}:6")]) == 1
    assert await repos.outbox.count_pending() == 6
    assert await repos.outbox.enqueue([]) == 0


async def test_many_messages_fan_out(repos: Repositories) -> None:
    batch = [msg(c, f"big:{c}") for c in range(1200)]
    assert await repos.outbox.enqueue(batch) == 1200
    assert await repos.outbox.enqueue([*batch[:700], msg(5000, "big:5000")]) == 1
    assert await repos.outbox.count_pending() == 1201


async def test_message_round_trip_every_field(repos: Repositories) -> None:
    markup = {"inline_keyboard": [[{"text": "음소거 🔕", "callback_data": "mute:AAPL"}]]}
    photo = bytes(range(256)) * 400  # 100 KiB: more than a MySQL BLOB holds
    original = msg(
        -100777, "full", silent=True, reply_markup=markup, photo=photo, thread_id=12, kind="briefing"
    )
    await repos.outbox.enqueue([original])
    (stored,) = await repos.outbox.claim_pending(datetime.now(UTC))
    assert stored.id is not None
    assert stored == replace(original, id=stored.id)


async def test_a_batch_mixing_photos_and_text_keeps_its_order_and_photos(repos: Repositories) -> None:
    photo = b"\x89PNG" * 100
    batch = [msg(7, "a"), msg(7, "b", photo=photo), msg(7, "c"), msg(7, "d"), msg(7, "e", photo=photo)]
    assert await repos.outbox.enqueue(batch) == 5
    stored = await repos.outbox.claim_pending(datetime.now(UTC))
    assert [(m.dedup_key, m.photo) for m in stored] == [(m.dedup_key, m.photo) for m in batch]


async def test_claim_pending_respects_not_before_and_order(repos: Repositories) -> None:
    now = datetime(2025, 6, 2, 12, tzinfo=UTC)
    await repos.outbox.enqueue(
        [
            msg(1, "later", not_before=now + timedelta(minutes=5)),
            msg(1, "due", not_before=now - timedelta(seconds=1)),
            msg(2, "now"),
        ]
    )
    assert [m.dedup_key for m in await repos.outbox.claim_pending(now)] == ["due", "now"]
    assert [m.dedup_key for m in await repos.outbox.claim_pending(now, limit=1)] == ["due"]
    later = await repos.outbox.claim_pending(now + timedelta(minutes=5))
    assert [m.dedup_key for m in later] == ["later", "due", "now"]
    assert later[0].not_before == now + timedelta(minutes=5)
    assert later[0].not_before.tzinfo is UTC


async def test_delivery_state_transitions(repos: Repositories) -> None:
    now = datetime(2025, 6, 2, 12, tzinfo=UTC)
    await repos.outbox.enqueue([msg(1, "a"), msg(1, "b"), msg(2, "c"), msg(3, "d"), msg(3, "e")])
    a, b, c, d, _e = await repos.outbox.claim_pending(now)
    assert a.id
    assert b.id
    assert c.id
    assert d.id
    await repos.outbox.mark_retry(a.id, "429 Too Many Requests", now + timedelta(seconds=30))
    await repos.outbox.mark_sent(b.id, 555, now)
    await repos.outbox.mark_failed(c.id, "400 Bad Request " + "x" * 5000)
    await repos.outbox.mark_failed(d.id, "quiet hours", skipped=True)
    assert await repos.outbox.skip_chat(3, "bot was blocked") == 1
    assert await repos.outbox.skip_chat(3, "bot was blocked") == 0
    assert await repos.outbox.claim_pending(now) == []
    assert await repos.outbox.count_pending() == 1
    (retry,) = await repos.outbox.claim_pending(now + timedelta(seconds=30))
    assert (retry.dedup_key, retry.attempts, retry.last_error) == ("a", 1, "429 Too Many Requests")
    assert retry.status is DeliveryStatus.PENDING


async def test_long_dedup_keys_stay_unique(repos: Repositories) -> None:
    long_a, long_b = "k" * 300 + "a", "k" * 300 + "b"
    assert await repos.outbox.enqueue([msg(1, long_a), msg(1, long_b)]) == 2
    assert await repos.outbox.enqueue([msg(1, long_a)]) == 0


@pytest.fixture(params=["returning", "select"])
def event_repos(
    request: pytest.FixtureRequest, db: Database, monkeypatch: pytest.MonkeyPatch
) -> Repositories:
    """`add_events` as SQLite 3.35+ and MariaDB 10.5+ run it (INSERT ... RETURNING), and as on a
    server without RETURNING (MySQL: insert, then select the rows carrying the call's stamp)."""
    assert db.engine.dialect.insert_returning  # both test databases can: the fast path is the one run
    if request.param == "select":
        monkeypatch.setattr(db.engine.dialect, "insert_returning", False)
    return db.repos


def batch_of(n: int) -> list[SignalEvent]:
    """n distinct events over n // 3 symbols, three signal types, two days."""
    kinds = [SignalType.GOLDEN_CROSS, SignalType.VOLUME_SPIKE, SignalType.RSI_OVERSOLD]
    return [event(f"S{i // 6:04d}", kinds[i % 3], (i // 3) % 2, close=100 + i / 8) for i in range(n)]


async def test_large_batch_returns_exactly_the_new_events(event_repos: Repositories) -> None:
    repos = event_repos
    events = batch_of(3000)
    stored = events[::10]  # 10% already known
    first = await repos.events.add_events(stored)
    assert [e.key for e in first] == [e.key for e in stored]
    # the new batch repeats some of its own events too: each key counts once, in input order
    batch = [*events, *events[1:200:7]]
    new = await repos.events.add_events(batch)
    expected = [e for i, e in enumerate(events) if i % 10 != 0]
    assert [e.key for e in new] == [e.key for e in expected]
    assert [replace(e, id=None) for e in new] == expected
    ids = [e.id for e in new]
    assert None not in ids
    assert len(set(ids)) == len(ids)
    assert not set(ids) & {e.id for e in first}
    assert await repos.events.add_events(batch) == []
    listed = await repos.events.list_events(limit=5000)
    assert len(listed) == 3000
    assert {e.id: e.key for e in listed} == {e.id: e.key for e in [*first, *new]}


async def test_shared_stamp_falls_back_to_exact_row_by_row(
    event_repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two calls stamped with the same created_at: the second must not claim the first one's rows."""
    repos = event_repos
    frozen = datetime(2025, 6, 2, 9, 30, 0, 123456, tzinfo=UTC)
    monkeypatch.setattr("storage.repos.events.utcnow", lambda: frozen)
    a, b, c = batch_of(3)
    (got_a,) = await repos.events.add_events([a])
    new = await repos.events.add_events([a, b, c, b])
    assert [e.key for e in new] == [b.key, c.key]
    assert got_a.id not in {e.id for e in new}
    assert len(await repos.events.list_events()) == 3


async def test_racing_writers_never_both_see_an_event_as_new(event_repos: Repositories) -> None:
    repos = event_repos
    events = batch_of(600)
    one, two = events[:400], events[200:][::-1]
    results = await asyncio.gather(repos.events.add_events(one), repos.events.add_events(two))
    keys = [e.key for result in results for e in result]
    assert sorted(keys) == sorted(e.key for e in events)
