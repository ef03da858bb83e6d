"""SignalPipeline: bars in hand -> engine -> stored events -> notifier, state persisted with it."""

from __future__ import annotations

import pytest

from core.ports import Repositories
from core.types import SignalType
from scheduler import SignalPipeline
from scheduler.pipeline import pack_state, unpack_state
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
