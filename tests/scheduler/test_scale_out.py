"""Scale-out on a shared database, on SQLite and MariaDB: two schedulers, each job fires once; a
restart on the same database delivers nothing twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.ports import Repositories
from scheduler import Runtime
from tests.scheduler.conftest import IN_US_SESSION, make_settings
from tests.scheduler.fakes import (
    FakeMarket,
    FixedClock,
    RecordingNotifier,
    crossing_closes,
    daily_bars,
    engine_factory,
    instrument,
)

# the jump fires breakout_200, rsi_overbought, bb_upper_break and high_52w
EVENTS = 4


def _runtime(repos: Repositories, market: FakeMarket, notifier: RecordingNotifier, owner: str) -> Runtime:
    return Runtime(
        make_settings(),
        repos,
        market=market,
        notifier=notifier,
        engine_factory=engine_factory,
        clock=FixedClock(IN_US_SESSION),
        owner_id=owner,
    )


async def test_two_schedulers_one_fires_and_restart_delivers_once(repos: Repositories) -> None:
    closes, jump = crossing_closes()
    await repos.instruments.upsert_instruments([instrument("AAA"), instrument("BBB")])
    for sym in ("AAA", "BBB"):
        await repos.bars.upsert_bars(daily_bars(sym, closes))
    market, notifier = FakeMarket(repos), RecordingNotifier(repos)
    a, b = _runtime(repos, market, notifier, "a"), _runtime(repos, market, notifier, "b")
    await asyncio.gather(a.ready(), b.ready())
    market.queued["AAA"] = [daily_bars("AAA", [*closes, jump])[-1]]
    holders = set()
    for _ in range(3):
        runs = await asyncio.gather(a.run_job("finalise_bars.us"), b.run_job("finalise_bars.us"))
        assert sorted(r.outcome for r in runs) == ["ok", "skipped"]
        holders.add("a" if runs[0].outcome == "ok" else "b")
    assert len(holders) == 1  # the lease holder keeps the job
    assert len([c for c in market.calls if c[0] == "update"]) == 3
    published = sorted(e.key for e in notifier.published)
    assert len(published) == len(set(published)) == EVENTS
    assert await repos.outbox.count_pending() == EVENTS
    # the holder goes quiet; once its lease has expired the other takes over, first reloading the
    # holder's newer engine state (else the stale engine would see the breakout again)
    other = b if holders == {"a"} else a
    later = daily_bars("AAA", [*closes, jump, jump + 1])[-1]
    market.queued["AAA"] = [later]
    other.clock.t += timedelta(hours=1)  # type: ignore[attr-defined]
    assert (await other.run_job("finalise_bars.us")).outcome == "ok"
    assert other.pipeline.last_ts["AAA"] == later.ts
    assert sorted(e.key for e in notifier.published) == published
    await a.stop()
    await b.stop()
    # restart both on the same database: state restored, nothing evaluated or delivered again
    c = _runtime(repos, FakeMarket(repos), notifier, "a")
    res = await c.ready()
    assert res.bars == 0
    assert c.pipeline.last_ts["AAA"] == later.ts  # the newest save, not the older one
    await c.run_job("finalise_bars.us")
    assert sorted(e.key for e in notifier.published) == published
    assert await repos.outbox.count_pending() == EVENTS
    assert len(await repos.events.list_events("AAA")) == EVENTS
