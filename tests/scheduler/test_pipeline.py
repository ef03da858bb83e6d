"""SignalPipeline: bars in hand -> engine -> stored events -> notifier, state persisted with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery import OutboxNotifier
from core.ports import Repositories
from core.types import Chat, ChatKind, Language, SignalType, Watch
from scheduler import SignalPipeline
from scheduler.pipeline import pack_state, unpack_state
from storage import Database
from tests.scheduler.fakes import RecordingNotifier, crossing_closes, daily_bars, engine_factory


def _series(symbol: str, extra: list[float]) -> tuple[list, list]:  # type: ignore[type-arg]
    closes, _ = crossing_closes()
    bars = daily_bars(symbol, [*closes, *extra])
    return bars[: len(closes)], bars[len(closes) :]


async def test_unseen_symbol_is_warmed_from_storage_and_only_its_last_bar_alerts(
    sqlite_repos: Repositories,
) -> None:
    history, new = _series("AAA", [140.0])
    await sqlite_repos.bars.upsert_bars([*history, *new])  # MarketData stores before it returns
    notifier = RecordingNotifier(sqlite_repos)
    pipe = SignalPipeline(sqlite_repos, notifier, engine_factory)
    res = await pipe.process({"AAA": [*history[-5:], *new, new[-1]]})  # a backfill tail, a duplicate
    assert res.bars == 1
    assert SignalType.BREAKOUT_200 in {e.signal for e in res.new_events}
    assert res.enqueued == len(res.new_events) == len(notifier.published)
    phases = {"prepare", "engine", "add_events", "publish", "save_state", "read_ahead", "cpu"}
    assert set(res.timings) == phases
    assert res.timings["cpu"] > 0
    assert res.latency_s >= res.timings["engine"]
    assert pipe.last_ts["AAA"] == new[-1].ts
    # the same bars again: nothing is fed twice, nothing published twice
    again = await pipe.process({"AAA": new})
    assert (again.bars, again.enqueued) == (0, 0)
    assert list(pipe.latencies) == [res.latency_s]


async def test_several_bars_of_a_symbol_go_in_time_order(sqlite_repos: Repositories) -> None:
    history, new = _series("AAA", [140.0, 60.0])
    await sqlite_repos.bars.upsert_bars(history)
    pipe = SignalPipeline(sqlite_repos, RecordingNotifier(sqlite_repos), engine_factory)
    await pipe.warm(["AAA"])
    res = await pipe.process({"AAA": list(reversed(new))})
    kinds = [(e.signal, e.ts) for e in res.new_events]
    assert (SignalType.BREAKOUT_200, new[0].ts) in kinds
    assert (SignalType.BREAKDOWN_200, new[1].ts) in kinds


async def test_state_blob_round_trip_and_unusable_blob_rebuilds(sqlite_repos: Repositories) -> None:
    history, new = _series("AAA", [140.0])
    await sqlite_repos.bars.upsert_bars(history)
    pipe = SignalPipeline(sqlite_repos, RecordingNotifier(sqlite_repos), engine_factory)
    await pipe.warm(["AAA"])
    blob = await sqlite_repos.state.get_state(pipe.state_key)
    assert blob is not None
    last_ts, engine_bytes = unpack_state(blob)
    assert last_ts == {"AAA": history[-1].ts}
    assert unpack_state(pack_state(last_ts, engine_bytes)) == (last_ts, engine_bytes)
    with pytest.raises(ValueError, match="not a scheduler state blob"):
        unpack_state(b"garbage")
    await sqlite_repos.state.put_state(pipe.state_key, b"garbage")
    fresh = SignalPipeline(sqlite_repos, RecordingNotifier(sqlite_repos), engine_factory)
    await fresh.warm(["AAA"])  # logged, rebuilt from the stored bars
    assert fresh.last_ts == {"AAA": history[-1].ts}
    res = await fresh.process({"AAA": new})
    assert SignalType.BREAKOUT_200 in {e.signal for e in res.new_events}


async def test_failed_delivery_rolls_back_and_the_next_call_delivers(sqlite_repos: Repositories) -> None:
    history, new = _series("AAA", [140.0])
    await sqlite_repos.bars.upsert_bars(history)
    notifier = RecordingNotifier(sqlite_repos, fail_times=1)
    pipe = SignalPipeline(sqlite_repos, notifier, engine_factory)
    await pipe.warm(["AAA"])
    with pytest.raises(ConnectionError):
        await pipe.process({"AAA": new})
    assert pipe.last_ts == {"AAA": history[-1].ts}  # rolled back to the saved state
    res = await pipe.process({"AAA": new})
    assert res.new_events == []  # stored by the failed attempt ...
    assert res.republished == len(notifier.published) > 0  # ... and handed over now, once
    assert await sqlite_repos.outbox.count_pending() == res.republished


@pytest.mark.parametrize("where", ["file", "memory"])
async def test_alerts_planned_while_the_events_are_stored_reach_the_outbox_with_their_ids(
    where: str, tmp_path: Path
) -> None:
    """The notifier plans while the insert waits on the database (`PreparesDelivery`); over the one
    shared connection of an in-memory database it plans after (a second session there would roll
    the insert back)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'f.db'}" if where == "file" else "sqlite+aiosqlite:///:memory:"
    db = await Database.open(url, migrate=True)
    try:
        repos = db.repos
        assert repos.concurrent is (where == "file")
        history, new = _series("AAA", [140.0])
        await repos.bars.upsert_bars(history)
        for chat in (1, 2):
            await repos.chats.upsert_chat(
                Chat(chat, ChatKind.PRIVATE, language=Language.KO if chat == 2 else Language.EN)
            )
            await repos.watches.upsert_watch(Watch(chat, "AAA"))
        pipe = SignalPipeline(repos, OutboxNotifier(repos), engine_factory)
        await pipe.warm(["AAA"])
        res = await pipe.process({"AAA": new})
        assert SignalType.BREAKOUT_200 in {e.signal for e in res.new_events}
        stored = await repos.events.list_events("AAA")
        assert sorted(e.id for e in stored) == sorted(e.id for e in res.new_events)
        rows = await repos.outbox.claim_pending(datetime.now(UTC) + timedelta(days=1), limit=100)
        assert sorted((m.event_id, m.chat_id) for m in rows) == sorted(
            (e.id, c) for e in res.new_events for c in (1, 2)
        )
        assert res.enqueued == len(rows)
    finally:
        await db.close()
