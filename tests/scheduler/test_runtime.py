"""Runtime: bar -> alert exactly once, failures, leases, no stacking, restart and shutdown."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from core.ports import Repositories
from core.types import Market, SignalType, SourceHealth
from storage import Database
from tests.scheduler.conftest import RuntimeMaker, next_bar
from tests.scheduler.fakes import FakeMarket, FixedClock, RecordingNotifier, instrument, wait_for

# the jump from ~87 to 140 crosses the SMA 200, pushes the RSI over 70, closes above the upper
# Bollinger band and makes a new 52-week high
CROSSING = [
    ("AAA", SignalType.BB_UPPER_BREAK),
    ("AAA", SignalType.BREAKOUT_200),
    ("AAA", SignalType.HIGH_52W),
    ("AAA", SignalType.RSI_OVERBOUGHT),
]
N_AAA = len(CROSSING)
WITH_BBB = [*CROSSING, ("BBB", SignalType.BB_LOWER_BREAK)]  # BBB's drop to 80: below its lower band


async def test_bar_crossing_sma200_alerts_once_within_one_scheduler_cycle(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    market, notifier = FakeMarket(seeded), RecordingNotifier(seeded)
    rt = make_runtime(market=market, notifier=notifier)
    rt.start()
    await rt.ready()
    market.queued["AAA"] = [next_bar(seeded, "AAA", 140.0)]
    market.queued["BBB"] = [next_bar(seeded, "BBB", 80.0)]  # stays below the SMA 200
    assert rt.scheduler is not None
    rt.scheduler.modify_job("finalise_bars.us", next_run_time=datetime.now(UTC))  # the scheduler fires it
    await wait_for(lambda: "finalise_bars.us" in rt.runs)  # recorded after its evaluate_signals.us
    assert sorted((e.symbol, e.signal) for e in notifier.published) == WITH_BBB
    assert all(e.id is not None for e in notifier.published)
    assert await seeded.outbox.count_pending() == len(WITH_BBB)
    assert rt.runs["finalise_bars.us"].outcome == "ok"
    assert "bar->outbox" in rt.runs["evaluate_signals.us"].detail
    # the next cycle brings nothing new: nothing is published again
    await rt.run_job("finalise_bars.us")
    assert len(notifier.published) == len(WITH_BBB)
    assert await seeded.outbox.count_pending() == len(WITH_BBB)


async def test_failing_instrument_does_not_hold_up_the_rest_and_is_retried(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    market, notifier = FakeMarket(seeded), RecordingNotifier(seeded)
    rt = make_runtime(market=market, notifier=notifier)
    rt.start()
    market.failing.add("BBB")
    market.queued["AAA"] = [next_bar(seeded, "AAA", 140.0)]
    market.sources = [SourceHealth("yahoo", "open", 3, 5, 15000.0, "TransientSourceError: timeout")]
    run = await rt.run_job("finalise_bars.us")
    assert run.outcome == "ok"
    assert "1 failed" in run.detail
    assert {e.symbol for e in notifier.published} == {"AAA"}
    assert rt.scheduler is not None
    retry = rt.scheduler.get_job("finalise_bars.us:retry")
    assert retry is not None
    assert retry.kwargs == {"symbols": ["BBB"]}
    report = await rt.health_report()
    assert report["sources"][0]["breaker"] == "open"
    assert [h.breaker for h in await seeded.health.list_source_health()] == ["open"]
    # the retry run only asks for the failed instrument; once it succeeds no further retry is planned
    market.failing.clear()
    market.queued["BBB"] = [next_bar(seeded, "BBB", 150.0)]
    await rt.run_job("finalise_bars.us:retry", symbols=["BBB"])
    assert market.calls[-1] == ("update", ["BBB"])
    assert {e.symbol for e in notifier.published} == {"AAA", "BBB"}


async def test_slow_job_does_not_stack(seeded: Repositories, make_runtime: RuntimeMaker) -> None:
    market = FakeMarket(seeded, delay=0.5)
    rt = make_runtime(market=market)
    rt.start()
    assert rt.scheduler is not None
    rt.scheduler.reschedule_job("update_prices.us", trigger=IntervalTrigger(seconds=0.1))
    await asyncio.sleep(1.3)
    quotes = [c for c in market.calls if c[0] == "quotes"]
    assert market.max_active == 1
    assert 1 <= len(quotes) <= 3  # 13 firings due, at most one running at a time


async def test_a_run_seen_in_runs_is_finished_so_firing_again_runs_again(
    seeded: Repositories, make_runtime: RuntimeMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`runs` is written last: once a job shows there its health row is stored and APScheduler
    can start it again at once (before, a slow health write let a re-fire be skipped under
    max_instances=1)."""
    write = seeded.health.record_job_run

    async def slow_write(run: Any) -> None:
        await asyncio.sleep(0.2)
        await write(run)

    monkeypatch.setattr(seeded.health, "record_job_run", slow_write)
    rt = make_runtime(market=FakeMarket(seeded))
    rt.start()
    await rt.ready()
    assert rt.scheduler is not None
    for n in (1, 2):
        before = rt.runs.get("finalise_bars.us")
        rt.scheduler.modify_job("finalise_bars.us", next_run_time=datetime.now(UTC))
        await wait_for(lambda: rt.runs.get("finalise_bars.us") is not before)  # noqa: B023
        stored = [r for r in await seeded.health.list_job_runs() if r.job == "finalise_bars.us"]
        assert stored, n
        assert stored[0].started_at == rt.runs["finalise_bars.us"].started_at, n


async def test_two_runtimes_one_database_only_one_fires(
    seeded: Repositories, sqlite_url: str, make_runtime: RuntimeMaker
) -> None:
    other = await Database.open(sqlite_url, migrate=False)  # a second process's own connection
    try:
        market = FakeMarket(seeded)
        notifier = RecordingNotifier(seeded)
        a = make_runtime(market=market, notifier=notifier, owner_id="host-a")
        b = make_runtime(other.repos, market=market, notifier=notifier, owner_id="host-b")
        market.queued["AAA"] = [next_bar(seeded, "AAA", 140.0)]
        runs = await asyncio.gather(a.run_job("finalise_bars.us"), b.run_job("finalise_bars.us"))
        assert sorted(r.outcome for r in runs) == ["ok", "skipped"]
        assert sorted((e.symbol, e.signal) for e in notifier.published) == CROSSING
        assert len([c for c in market.calls if c[0] == "update"]) == 1
        # the holder keeps the job; the other keeps skipping while the lease is alive
        winner, loser = (a, b) if runs[0].outcome == "ok" else (b, a)
        assert (await winner.run_job("update_prices.us")).outcome == "ok"
        assert (await loser.run_job("update_prices.us")).outcome == "skipped"
        assert (await loser.health_report())["jobs"]  # the loser's status still works
    finally:
        await other.close()


async def test_restart_after_failed_delivery_delivers_once(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    market = FakeMarket(seeded)
    first = make_runtime(market=market, notifier=RecordingNotifier(seeded, fail_times=1), owner_id="x")
    await first.ready()
    market.queued["AAA"] = [next_bar(seeded, "AAA", 140.0)]
    run = await first.run_job("finalise_bars.us")
    assert run.outcome == "error"  # the event was stored, its delivery failed
    assert await seeded.outbox.count_pending() == 0
    # the process dies here; a new one starts on the same database
    notifier = RecordingNotifier(seeded)
    second = make_runtime(market=FakeMarket(seeded), notifier=notifier, owner_id="x")
    await second.ready()
    assert sorted((e.symbol, e.signal) for e in notifier.published) == CROSSING
    assert await seeded.outbox.count_pending() == len(CROSSING)
    await second.run_job("finalise_bars.us")
    third = make_runtime(market=FakeMarket(seeded), notifier=RecordingNotifier(seeded), owner_id="x")
    await third.ready()
    assert len(notifier.published) == len(CROSSING)
    assert await seeded.outbox.count_pending() == len(CROSSING)
    assert len(await seeded.events.list_events("AAA")) == N_AAA


async def test_stop_waits_for_the_running_job_and_saves_state(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    market = FakeMarket(seeded, delay=0.3)
    rt = make_runtime(market=market)
    rt.start()
    await rt.ready()
    job = asyncio.create_task(rt.run_job("update_prices.us"))
    await wait_for(lambda: market.active == 1)
    await rt.stop()
    assert job.done()
    assert job.result().outcome == "ok"
    assert rt.scheduler is None
    blob = await seeded.state.get_state(rt.pipeline.state_key)
    assert blob is not None
    from scheduler.pipeline import unpack_state

    last_ts, _ = unpack_state(blob)
    assert set(last_ts) == {"AAA", "BBB"}
    # a restart does not re-evaluate (no bars newer than the state) and does not warm from scratch
    again = make_runtime(market=FakeMarket(seeded))
    res = await again.ready()
    assert res.bars == 0
    assert again.pipeline.last_ts == last_ts


async def test_update_prices_outside_session_is_skipped(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    from tests.scheduler.fakes import FixedClock

    market = FakeMarket(seeded)
    rt = make_runtime(
        market=market, clock=FixedClock(datetime(2026, 11, 26, 16, 0, tzinfo=UTC))
    )  # Thanksgiving
    run = await rt.run_job("update_prices.us")
    assert run.outcome == "skipped"
    assert market.calls == []
    rt.clock = FixedClock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))  # 11:00 KST Friday: KETS open
    assert (await rt.run_job("update_prices.kets")).outcome == "ok"
    assert market.calls == [("quotes", ["KAU25"])]
    # only watched instruments are polled intraday
    await seeded.watches.remove_watch(1, "KAU25")
    run = await rt.run_job("update_prices.kets")
    assert (run.outcome, run.detail) == ("skipped", "no watched kets instruments")


async def test_role_bot_starts_no_scheduler(seeded: Repositories, make_runtime: RuntimeMaker) -> None:
    rt = make_runtime(role="bot")
    rt.start()
    assert rt.scheduler is None
    assert rt.status()["running"] is False


async def test_health_report_has_jobs_sources_outbox_process(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    market = FakeMarket(seeded)
    market.sources = [
        SourceHealth("yahoo", "closed", 9, 1, 120.0),
        SourceHealth("krx", "open", 0, 5, None, "timeout"),
    ]
    rt = make_runtime(market=market)
    rt.start()
    market.queued["AAA"] = [next_bar(seeded, "AAA", 140.0)]
    await rt.run_job("finalise_bars.us")
    report = await rt.health_report()
    jobs = {j["job"]: j for j in report["jobs"]}
    assert jobs["finalise_bars.us"]["outcome"] == "ok"
    assert jobs["finalise_bars.us"]["next_run"] > datetime.now(UTC).isoformat()[:10]
    assert jobs["evaluate_signals.us"]["outcome"] == "ok"
    assert jobs["send_briefing.0800"]["outcome"] == "never" if "send_briefing.0800" in jobs else True
    sources = {s["source"]: s for s in report["sources"]}
    assert sources["yahoo"]["success_rate"] == 0.9
    assert sources["krx"]["breaker"] == "open"
    assert report["outbox_pending"] == len(CROSSING)
    assert report["pipeline"]["last_latency_ms"] is not None
    assert report["process"]["rss_mb"] > 10
    assert "cpu_percent" in report["process"]
    assert timedelta(0) <= timedelta(seconds=jobs["finalise_bars.us"]["duration_s"])


async def test_a_long_job_keeps_its_lease(seeded: Repositories, make_runtime: RuntimeMaker) -> None:
    from core.timeutil import SystemClock

    market = FakeMarket(seeded)
    market.update_delay = 1.0
    a = make_runtime(market=market, owner_id="a", clock=SystemClock(), lease_ttl_s=0.3)
    b = make_runtime(market=market, owner_id="b", clock=SystemClock(), lease_ttl_s=0.3)
    running = asyncio.create_task(a.run_job("finalise_bars.us"))
    await asyncio.sleep(0.6)  # twice the TTL: without renewal the lease would have expired
    assert (await b.run_job("finalise_bars.us")).outcome == "skipped"
    assert (await running).outcome == "ok"
    await asyncio.sleep(0.4)  # released by expiry once a stopped renewing
    market.update_delay = 0.0
    assert (await b.run_job("finalise_bars.us")).outcome == "ok"


async def test_restart_after_a_missed_close_runs_the_bar_job_at_once(
    seeded: Repositories, make_runtime: RuntimeMaker
) -> None:
    from core.types import JobRun
    from tests.scheduler.fakes import FixedClock

    # Wednesday 2026-11-18 23:00 UTC: US bars were due at 21:20 UTC; the last run was Tuesday's
    await seeded.health.record_job_run(
        JobRun("finalise_bars.us", datetime(2026, 11, 17, 21, 20, tzinfo=UTC), 1.0, "ok")
    )
    await seeded.health.record_job_run(
        JobRun("finalise_bars.xetra", datetime(2026, 11, 18, 16, 50, 20, tzinfo=UTC), 1.0, "ok")
    )
    market = FakeMarket(seeded)
    market.queued["AAA"] = [next_bar(seeded, "AAA", 140.0)]
    notifier = RecordingNotifier(seeded)
    clock = FixedClock(datetime(2026, 11, 18, 23, 0, tzinfo=UTC))
    rt = make_runtime(
        market=market, notifier=notifier, clock=clock, catch_up_hours=20.0, job_stagger_seconds=0
    )
    rt.start()
    await rt.ready()
    await wait_for(lambda: rt.runs.get("finalise_bars.us") is not None)
    assert sorted((e.symbol, e.signal) for e in notifier.published) == CROSSING
    # Xetra ran after its close; KRX/KETS closes were this morning UTC and never ran: brought forward
    assert "finalise_bars.xetra" not in rt.runs
    await wait_for(lambda: {"finalise_bars.krx", "finalise_bars.kets", "fetch_eex_auctions"} <= set(rt.runs))


async def test_start_warns_when_no_krx_exam_day_is_known_ahead(
    seeded: Repositories, make_runtime: RuntimeMaker, caplog: pytest.LogCaptureFixture
) -> None:
    season = FixedClock(datetime(2027, 9, 15, 3, 0, tzinfo=UTC))  # 2027's exam day is not in the data file
    with caplog.at_level(logging.WARNING, logger="scheduler.runtime"):
        rt = make_runtime(clock=season)
        rt.start()
        await rt.ready()
    assert "KRX exam day" not in caplog.text  # no Korean instrument: nothing to warn about
    await seeded.instruments.upsert_instruments([instrument("005930.KS", market=Market.KRX)])
    for clock, extra, warned in (
        (season, {}, True),
        (season, {"krx_late_days": [date(2027, 11, 18)]}, False),
        (FixedClock(datetime(2026, 11, 21, 3, 0, tzinfo=UTC)), {}, False),  # 2026's is known
        (FixedClock(datetime(2027, 6, 1, tzinfo=UTC)), {}, False),  # months away: no warning every start
    ):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="scheduler.runtime"):
            rt = make_runtime(clock=clock, owner_id=f"o{len(extra)}{clock.t.month}{clock.t.year}", **extra)
            rt.start()
            await rt.ready()
        assert ("KRX exam day of 2027 not known yet" in caplog.text) is warned, caplog.text
        assert ("FINSIGNAL_KRX_LATE_DAYS" in caplog.text) is warned
