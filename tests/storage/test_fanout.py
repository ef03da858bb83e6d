"""`OutboxRepo.enqueue_fanouts` on both databases: the same rows as `enqueue` of the fan-out's
messages, exactly once, long keys hashed, skipped fold rows kept out of delivery."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.ports import Repositories
from core.types import DeliveryStatus, Fanout, OutboxMessage

NOW = datetime(2025, 6, 2, 9, tzinfo=UTC)
HOLD = NOW - timedelta(minutes=5)  # due already: quiet hours that ended


def fanout(key: str = "alert:SPY:golden_cross:2025-06-02", **kw: object) -> Fanout:
    base = Fanout(
        key=key,
        texts=("<b>SPY</b> golden cross", "<b>SPY</b> 골든크로스"),
        markups=({"inline_keyboard": [[{"text": "Mute", "callback_data": "m|SPY"}]]}, None),
        recipients=[(11, 0, False, None, False), (12, 1, True, HOLD, True), (13, 0, False, HOLD, False)],
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def comparable(m: OutboxMessage) -> tuple[object, ...]:
    return (m.chat_id, m.dedup_key, m.text, m.kind, m.event_id, m.silent, m.reply_markup, m.not_before,
            m.premium, m.status)  # fmt: skip


async def test_fanout_rows_equal_its_messages_and_go_in_once(repos: Repositories) -> None:
    f = fanout()
    digest = OutboxMessage(99, "digest:99:abc", "two alerts", premium=True)
    assert await repos.outbox.enqueue_fanouts([f], [digest]) == 4
    assert await repos.outbox.enqueue_fanouts([f], [digest]) == 0  # exactly once
    assert await repos.outbox.enqueue(f.messages()) == 0  # the same keys as the one-row-per-message path
    stored = await repos.outbox.claim_pending(NOW, limit=10)
    expected = [digest, *f.messages()]
    assert sorted(map(comparable, stored)) == sorted(map(comparable, expected))
    premium_first = [m.chat_id for m in stored]
    assert set(premium_first[:2]) == {99, 12}  # premium rows are claimed first


async def test_long_keys_hashed_and_found(repos: Repositories) -> None:
    long = "alert:" + "X" * 300
    f = fanout(key=long, recipients=[(7, 0, False, None, False)])
    assert await repos.outbox.enqueue_fanouts([f]) == 1
    assert await repos.outbox.existing_keys([f"{long}:7", f"{long}:8"]) == {f"{long}:7"}
    assert await repos.outbox.enqueue([OutboxMessage(7, f"{long}:7", "again")]) == 0


async def test_skipped_fold_rows_are_recorded_not_delivered(repos: Repositories) -> None:
    skipped = fanout(status=DeliveryStatus.SKIPPED, note="in digest", markups=(None, None))
    assert await repos.outbox.enqueue_fanouts([skipped]) == 3
    assert await repos.outbox.claim_pending(NOW, limit=10) == []
    keys = [f"{skipped.key}:{c}" for c in (11, 12, 13)]
    assert await repos.outbox.existing_keys(keys) == set(keys)
    assert await repos.outbox.enqueue_fanouts([fanout()]) == 0  # a folded alert never goes out alone
