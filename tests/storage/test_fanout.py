"""`OutboxRepo.enqueue_fanouts` on both databases: the same rows as `enqueue` of the fan-out's
messages, exactly once, long keys hashed, skipped fold rows kept out of delivery; a stored fan-out
expanded into rows by claims (premium first, a little ahead of the claim, never twice) and by every
other reader of pending rows (counts, skips, chat migrations, key lookups)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from core.ports import Repositories
from core.types import Chat, ChatKind, DeliveryStatus, Fanout, OutboxMessage
from storage import Database
from storage.models import OutboxFanoutRow

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
    assert await repos.outbox.count_pending() == 4  # the fan-out's three before they are rows
    stored = await repos.outbox.claim_pending(NOW, limit=10)
    expected = [digest, *f.messages()]
    assert sorted(map(comparable, stored)) == sorted(map(comparable, expected))
    premium_first = [m.chat_id for m in stored]
    assert set(premium_first[:2]) == {99, 12}  # premium rows are claimed first
    assert await repos.outbox.enqueue(f.messages()) == 0  # the same keys as the one-row-per-message path
    assert await repos.outbox.count_pending() == 4


async def test_a_message_under_a_stored_fanouts_key_goes_out_once(repos: Repositories) -> None:
    f = fanout()
    assert await repos.outbox.enqueue_fanouts([f]) == 3
    alone = OutboxMessage(11, f"{f.key}:11", "<b>SPY</b> golden cross")
    await repos.outbox.enqueue([alone])  # before the fan-out is expanded
    stored = await repos.outbox.claim_pending(NOW, limit=10)
    assert sorted(m.chat_id for m in stored) == [11, 12, 13]


async def test_claims_expand_premium_fanouts_first_and_only_a_little_ahead(repos: Repositories) -> None:
    free = [
        fanout(key=f"alert:F{i}", recipients=[(1000 * i + c, 0, False, None, False) for c in range(100)])
        for i in range(30)
    ]
    paid = fanout(key="alert:P", recipients=[(7, 1, False, None, True), (8, 0, False, None, False)])
    assert await repos.outbox.enqueue_fanouts([*free, paid]) == 3002
    claimed = await repos.outbox.claim_pending(NOW, limit=5, owner="sender-a")
    # the newest fan-out's premium chat first (expanded in the claim's first step), then oldest first
    assert [m.chat_id for m in claimed] == [7, 0, 1, 2, 3]
    assert [m.premium for m in claimed] == [True, False, False, False, False]
    assert claimed[0].text == "<b>SPY</b> 골든크로스"
    assert await repos.outbox.count_pending() == 3002
    rest = await repos.outbox.expand_fanouts()
    assert 0 < rest < 3002 - 1000  # the claim had expanded whole fan-outs past 1,000 rows, no more
    assert await repos.outbox.expand_fanouts() == 0


async def test_concurrent_claimants_take_each_delivery_once(repos: Repositories) -> None:
    fanouts = [
        fanout(key=f"alert:C{i}", recipients=[(100 * i + c, 0, False, None, c == 0) for c in range(40)])
        for i in range(50)
    ]
    assert await repos.outbox.enqueue_fanouts(fanouts) == 2000
    taken: list[int] = []

    async def sender(owner: str) -> None:
        while batch := await repos.outbox.claim_pending(NOW, limit=150, owner=owner):
            taken.extend(m.chat_id for m in batch)
            await repos.outbox.mark_sent_many([(m.id or 0, None) for m in batch], NOW)

    await asyncio.gather(sender("a"), sender("b"), sender("c"))
    assert sorted(taken) == sorted(r[0] for f in fanouts for r in f.recipients)
    assert await repos.outbox.count_pending() == 0


async def test_skips_and_chat_migrations_reach_deliveries_still_in_a_fanout(repos: Repositories) -> None:
    await repos.chats.upsert_chat(Chat(13, ChatKind.GROUP))
    assert await repos.outbox.enqueue_fanouts([fanout()]) == 3
    assert await repos.outbox.skip_chat(11, "forbidden: bot was blocked by the user") == 1
    await repos.chats.migrate_chat(13, -1001300)
    stored = await repos.outbox.claim_pending(NOW, limit=10)
    assert sorted(m.chat_id for m in stored) == [-1001300, 12]
    assert await repos.outbox.count_pending() == 2


async def test_stored_fanouts_answer_key_lookups_and_hold_their_times(repos: Repositories) -> None:
    f = fanout()
    assert await repos.outbox.enqueue_fanouts([f]) == 3
    keys = [f"{f.key}:{c}" for c in (11, 12, 14)] + ["digest:11:x", f"{f.key}:notachat"]
    assert await repos.outbox.existing_keys(keys) == set(keys[:2])
    assert await repos.outbox.claim_pending(NOW - timedelta(minutes=10), limit=10) == [
        m for m in await repos.outbox.claim_pending(NOW, limit=10) if m.chat_id == 11
    ]  # the two held until HOLD are not due before it


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


async def test_a_malformed_stored_fanout_is_logged_and_the_rest_delivered(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    repos = db.repos
    good, bad = fanout(key="alert:GOOD"), fanout(key="alert:BAD", recipients=[(21, 0, False, None, True)])
    assert await repos.outbox.enqueue_fanouts([bad, good]) == 4
    async with db.engine.begin() as conn:  # a stored list cut short (a disk fault, a hand edit)
        await conn.execute(
            update(OutboxFanoutRow).where(OutboxFanoutRow.key == "alert:BAD").values(recipients="[[21, 0, 0")
        )
    assert await repos.outbox.existing_keys(["alert:BAD:21", "alert:GOOD:11"]) == {"alert:GOOD:11"}
    claimed = await repos.outbox.claim_pending(NOW, limit=10, owner="sender-a")
    assert sorted(m.chat_id for m in claimed) == [11, 12, 13]
    assert "(alert:BAD) is malformed" in caplog.text


TRICKY = "C:\\dir\\n 'single' \"double\" 100% _under_ \\\\ \\' 한국어 \x00 end\\"


async def test_text_with_quotes_and_backslashes_round_trips(repos: Repositories) -> None:
    """On MariaDB strings are sent with quotes doubled and backslashes plain (NO_BACKSLASH_ESCAPES,
    storage.database): every character comes back, through rows and fan-outs alike."""
    markup = {"inline_keyboard": [[{"text": TRICKY, "callback_data": "m|A\\B'C"}]]}
    await repos.outbox.enqueue([OutboxMessage(7, f"k:{TRICKY}", TRICKY, reply_markup=markup)])
    await repos.outbox.enqueue_fanouts(
        [fanout(key="alert:x'\\y", texts=(TRICKY, TRICKY), markups=(markup, None))]
    )
    got = await repos.outbox.claim_pending(datetime.now(UTC) + timedelta(days=2), limit=10)
    assert {m.text for m in got} == {TRICKY}
    assert {m.dedup_key for m in got} == {f"k:{TRICKY}", "alert:x'\\y:11", "alert:x'\\y:12", "alert:x'\\y:13"}
    assert [m.reply_markup for m in got if m.chat_id in (7, 11)] == [markup, markup]
    assert await repos.outbox.existing_keys([f"k:{TRICKY}", "alert:x'\\y:12", "alert:x'\\y:99"]) == {
        f"k:{TRICKY}",
        "alert:x'\\y:12",
    }


async def test_mariadb_sessions_take_backslashes_literally(mariadb_session_url: str) -> None:
    db = await Database.open(mariadb_session_url, migrate=False)
    try:
        async with db.engine.connect() as conn:
            mode = (await conn.execute(text("SELECT @@SESSION.sql_mode"))).scalar_one()
            assert "NO_BACKSLASH_ESCAPES" in mode.split(",")
            assert "STRICT_TRANS_TABLES" in mode.split(",")  # the server's own modes are kept
            assert (await conn.execute(text("SELECT 'a\\nb'"))).scalar_one() == "a\\nb"
    finally:
        await db.close()
