"""`EventRepo.events_after` (issue 20: the collector re-publishes the stored signal events the stream
missed), on SQLite and MariaDB: by id, not by bar time, oldest first, paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.ports import Repositories
from core.types import Interval, SignalEvent, SignalType
from finsignal.scaleout import StoredSignals

T0 = datetime(2026, 3, 2, tzinfo=UTC)


async def test_events_after_an_id_in_id_order_whatever_their_bar_time(repos: Repositories) -> None:
    stored = []
    for days in (5, 1, 9, 3, 7):  # stored in this order: ids rise, bar times do not
        ev = SignalEvent(
            "AAPL", SignalType.VOLUME_SPIKE, Interval.D1, T0 + timedelta(days=days), 100.0, {}, 2.0
        )
        stored += await repos.events.add_events([ev])
    ids = [e.id for e in stored]
    assert ids == sorted(ids)
    after = await repos.events.events_after(stored[1].id or 0)
    assert [e.id for e in after] == ids[2:]
    assert [e.ts.day for e in after] == [11, 5, 9]
    assert [e.id for e in await repos.events.events_after(0, limit=2)] == ids[:2]
    assert await repos.events.events_after(ids[-1] or 0) == []

    store = StoredSignals(repos)
    assert await store.latest_id() == ids[-1]
    replayed = await store.events_after(ids[0] or 0)
    assert [(topic, msg["id"]) for topic, msg in replayed] == [("signal:AAPL", i) for i in ids[1:]]
