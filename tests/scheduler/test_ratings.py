"""rate_signals: backtest ratings of watched symbols computed when missing or stale, on real SQLite."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from backtesting.test import GOOG

from backtest import run_backtest
from core.errors import ConfigError
from core.ports import Repositories
from core.settings import load_settings
from core.timeutil import KST
from core.types import PRICE_SIGNALS, Bar, Chat, ChatKind, Instrument, Interval, Rating, Watch
from scheduler import JobKind, Runtime, fire_times, plan_jobs, signal_config
from tests.scheduler.conftest import make_settings
from tests.scheduler.fakes import (
    FakeMarket,
    FixedClock,
    RecordingNotifier,
    UpdateResult,
    daily_bars,
    engine_factory,
    instrument,
    wait_for,
)

NOW = datetime(2026, 11, 18, 21, 0, tzinfo=UTC)  # Thu 06:00 KST
FAST = {"backtest_years": 3, "backtest_horizons": [5, 20], "job_stagger_seconds": 0}  # keeps tests quick


def goog_bars(symbol: str) -> list[Bar]:
    """The real GOOG daily history 2004-2013 (backtesting.test), as aware-UTC bars of `symbol`."""
    return [
        Bar(
            symbol,
            Interval.D1,
            datetime.combine(ts.date(), time(0), UTC),
            o,
            h,
            lo,
            c,
            float(v),
            source="test",
        )
        for ts, (o, h, lo, c, v) in zip(
            GOOG.index, GOOG[["Open", "High", "Low", "Close", "Volume"]].to_numpy(), strict=True
        )
    ]


def old_ratings(
    symbol: str, run_at: datetime, horizons: tuple[int, ...] = (5, 20), **params: Any
) -> list[Rating]:
    """A complete set of (made-up) ratings as a backtest at `run_at` would have stored them."""
    t = datetime(2013, 1, 1, tzinfo=UTC)
    p = {"sma_slow": 200, "years": 3.0, **params}
    return [
        Rating(symbol, s, h, 3, 0.5, 0.01, 0.01, 0.0, 0.01, 1.0, -0.05, "C", t, t, params=p, run_at=run_at)
        for s in PRICE_SIGNALS
        for h in horizons
    ]


async def watch(repos: Repositories, *symbols: str) -> None:
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    await repos.instruments.upsert_instruments([instrument(s) for s in symbols])
    for s in symbols:
        await repos.watches.upsert_watch(Watch(1, s))


class FakeHistory:
    """Like `MarketData.fetch_history`: stores what its source has, returns the bars that were new."""

    def __init__(self, repos: Repositories, source: dict[str, list[Bar]]) -> None:
        self.repos = repos
        self.source = source
        self.calls: list[tuple[list[str], int]] = []

    async def fetch_history(self, instruments: list[Instrument], /, years: int = 10) -> UpdateResult:
        self.calls.append(([i.symbol for i in instruments], years))
        result = UpdateResult()
        for inst in instruments:
            if inst.symbol not in self.source:
                result.failures[inst.symbol] = "SourceError: no data"
                continue
            stored = {b.ts for b in await self.repos.bars.list_bars(inst.symbol)}
            new = [b for b in self.source[inst.symbol] if b.ts not in stored]
            await self.repos.bars.upsert_bars(new)
            result.new_bars[inst.symbol] = new
        return result


Maker = Callable[..., Runtime]


@pytest.fixture
async def make(sqlite_repos: Repositories) -> AsyncIterator[Maker]:
    made: list[Runtime] = []

    def build(
        clock: FixedClock | None = None,
        market: FakeMarket | None = None,
        history: FakeHistory | None = None,
        **settings: Any,
    ) -> Runtime:
        rt = Runtime(
            make_settings(**{**FAST, **settings}),
            sqlite_repos,
            market=market or FakeMarket(sqlite_repos),
            notifier=RecordingNotifier(sqlite_repos),
            engine_factory=engine_factory,
            history=history,
            clock=clock or FixedClock(NOW),
            owner_id="r",
        )
        made.append(rt)
        return rt

    yield build
    for rt in made:
        if rt.scheduler is not None:
            await rt.stop()


async def test_missing_and_stale_ratings_are_computed_fresh_ones_kept_short_ones_skipped(
    sqlite_repos: Repositories, make: Maker
) -> None:
    repos = sqlite_repos
    await watch(repos, "GOOG", "STALE", "FRESH", "SHORT", "NOBARS")
    for sym in ("GOOG", "STALE", "FRESH"):
        await repos.bars.upsert_bars(goog_bars(sym))
    await repos.bars.upsert_bars(goog_bars("UNWATCHED")[:600])
    await repos.bars.upsert_bars(daily_bars("SHORT", [100.0 + i for i in range(150)]))
    fresh_at, stale_at = NOW - timedelta(days=6), NOW - timedelta(days=8)
    await repos.ratings.upsert_ratings(old_ratings("FRESH", fresh_at) + old_ratings("STALE", stale_at))
    rt = make()

    run = await rt.run_job("rate_signals")

    assert run.outcome == "ok", run.detail
    assert run.detail.startswith("2 rated, 2 skipped, 1 fresh, 0 failed"), run.detail
    assert "NOBARS" in run.detail
    assert "SHORT" in run.detail
    goog = await repos.ratings.list_ratings("GOOG")
    assert {(r.signal, r.horizon) for r in goog} == {(s, h) for s in PRICE_SIGNALS for h in (5, 20)}
    assert {r.run_at for r in goog} == {NOW}
    assert {r.period_end for r in goog} == {datetime(2013, 3, 1, tzinfo=UTC)}  # ends at the last stored bar
    # the stored figures are the backtester's on the last 3 (+1 warm-up) years of stored bars
    window = [b for b in goog_bars("GOOG") if b.ts >= datetime(2013, 3, 1, tzinfo=UTC) - timedelta(days=1461)]
    expected = run_backtest(
        {"GOOG": window}, config=signal_config(rt.settings), horizons=(5, 20), years=3, run_at=NOW
    ).ratings()
    assert sorted(goog, key=str) == sorted(expected, key=str)  # figures, params and run time
    assert min(r.period_start for r in goog) >= datetime(2010, 2, 28, tzinfo=UTC)
    stale = await repos.ratings.list_ratings("STALE")
    assert {r.run_at for r in stale} == {NOW}
    assert len(stale) == len(goog)
    assert {r.run_at for r in await repos.ratings.list_ratings("FRESH")} == {fresh_at}  # not recomputed
    assert await repos.ratings.list_ratings("SHORT") == []
    assert await repos.ratings.list_ratings("UNWATCHED") == []  # only watched symbols are rated
    assert "rate_signals" in {r.job for r in await repos.health.list_job_runs()}

    # the next day everything rated is fresh; a week and a day later GOOG is due again
    assert (await rt.run_job("rate_signals")).detail.startswith("0 rated, 2 skipped, 3 fresh")
    assert isinstance(rt.clock, FixedClock)
    rt.clock.t = NOW + timedelta(days=7, hours=1)
    assert (await rt.run_job("rate_signals")).detail.startswith("3 rated, 2 skipped, 0 fresh")


async def test_too_short_history_is_skipped_with_the_reason(
    sqlite_repos: Repositories, make: Maker, caplog: pytest.LogCaptureFixture
) -> None:
    await watch(sqlite_repos, "SHORT", "SHORTER")
    await sqlite_repos.bars.upsert_bars(goog_bars("SHORT")[:215])  # warm-up 200 + only 15 bars < horizon 20
    await sqlite_repos.bars.upsert_bars(goog_bars("SHORTER")[:120])
    rt = make()
    with caplog.at_level("INFO", logger="scheduler.ratings"):
        run = await rt.run_job("rate_signals")
    assert run.outcome == "ok"
    assert run.detail == "0 rated, 2 skipped, 0 fresh, 0 failed; skipped: SHORT, SHORTER"
    logged = caplog.text
    assert "SHORTER: only 120 bars, fewer than the 201" in logged
    assert "SHORT: horizon 20 is not shorter than the 15 bars" in logged
    assert await sqlite_repos.ratings.list_ratings("SHORT") == []


async def test_missing_horizon_makes_ratings_due(sqlite_repos: Repositories, make: Maker) -> None:
    await watch(sqlite_repos, "GOOG")
    await sqlite_repos.bars.upsert_bars(goog_bars("GOOG"))
    await sqlite_repos.ratings.upsert_ratings(old_ratings("GOOG", NOW, horizons=(5,)))  # 20 not rated yet
    run = await make().run_job("rate_signals")
    assert run.detail.startswith("1 rated"), run.detail
    assert {r.horizon for r in await sqlite_repos.ratings.list_ratings("GOOG")} == {5, 20}


async def test_nothing_watched_is_skipped(make: Maker) -> None:
    run = await make().run_job("rate_signals")
    assert (run.outcome, run.detail) == ("skipped", "no watched symbols")


async def test_new_symbol_bars_chain_to_rating_and_start_up_catches_up(
    sqlite_repos: Repositories, make: Maker
) -> None:
    await watch(sqlite_repos, "NEWCO", "OLDCO", "IPO")
    await sqlite_repos.bars.upsert_bars(goog_bars("OLDCO"))
    market = FakeMarket(sqlite_repos)
    rt = make(market=market, catch_up_hours=0.01)  # no bar job missed; ratings still catch up
    rt.start()
    await rt.ready()
    # start-up: the rating job is brought forward and rates what has no rating yet
    await wait_for(lambda: "rate_signals" in rt.runs)
    assert rt.runs["rate_signals"].detail.startswith("1 rated, 2 skipped"), rt.runs["rate_signals"].detail
    assert await sqlite_repos.ratings.list_ratings("OLDCO")
    assert rt.scheduler is not None
    nxt = rt.next_run("rate_signals")
    assert nxt is not None
    assert nxt.astimezone(KST).time() == time(5, 0)
    # newly watched symbols' first bars arrive with finalise_bars: they are rated right after
    market.queued["NEWCO"] = goog_bars("NEWCO")
    market.queued["IPO"] = goog_bars("IPO")[:150]
    assert (await rt.run_job("finalise_bars.us")).outcome == "ok"
    chained = rt.scheduler.get_job("rate_signals:finalise_bars.us")
    assert chained is not None
    assert sorted(chained.kwargs["symbols"]) == ["IPO", "NEWCO"]
    await wait_for(lambda: "rate_signals:finalise_bars.us" in rt.runs)
    assert rt.runs["rate_signals:finalise_bars.us"].detail.startswith("1 rated, 1 skipped, 0 fresh")
    assert len(await sqlite_repos.ratings.list_ratings("NEWCO")) == len(PRICE_SIGNALS) * 2
    # rated symbols do not chain again, nor do ones found too short (the daily run retries those)
    market.queued["NEWCO"] = [
        dataclasses.replace(goog_bars("NEWCO")[-1], ts=datetime(2013, 3, 4, tzinfo=UTC))
    ]
    market.queued["IPO"] = [goog_bars("IPO")[150]]
    await rt.run_job("finalise_bars.us")
    assert rt.scheduler.get_job("rate_signals:finalise_bars.us") is None


async def test_a_newly_watched_symbol_is_rated_within_seconds(
    sqlite_repos: Repositories, make: Maker
) -> None:
    await sqlite_repos.bars.upsert_bars(goog_bars("GOOG") + goog_bars("ALSO"))
    rt = make(catch_up_hours=0)  # no start-up rating run: only /watch asks
    rt.rate_soon("GOOG")  # no scheduler running yet: nothing happens, nothing raises
    rt.start()
    await rt.ready()
    assert rt.scheduler is not None
    assert rt.scheduler.get_job("rate_signals:watch") is None
    await watch(sqlite_repos, "GOOG", "ALSO")
    rt.rate_soon("GOOG")
    rt.rate_soon("ALSO")
    job = rt.scheduler.get_job("rate_signals:watch")
    assert job is not None
    assert job.kwargs["symbols"] == ["ALSO", "GOOG"]  # two /watch commands, one run
    await wait_for(lambda: "rate_signals:watch" in rt.runs)
    assert rt.runs["rate_signals:watch"].detail.startswith("2 rated"), rt.runs["rate_signals:watch"].detail
    assert len(await sqlite_repos.ratings.list_ratings("GOOG")) == len(PRICE_SIGNALS) * 2


def test_rate_signals_is_planned_daily_at_the_kst_ratings_time() -> None:
    start = datetime(2026, 11, 16, tzinfo=KST)
    for setting, expected in (({}, time(5, 0, 10)), ({"ratings_time": "23:30"}, time(23, 30, 10))):
        settings = make_settings(**setting)
        job = {j.id: j for j in plan_jobs(settings)}["rate_signals"]
        assert job.kind is JobKind.RATE_SIGNALS
        times = [t.astimezone(KST) for t in fire_times(job, start, start + timedelta(days=7))]
        assert [t.date() for t in times] == [date(2026, 11, 16) + timedelta(days=i) for i in range(7)]
        assert {t.time() for t in times} == {expected}  # every day, weekends included
    with pytest.raises(ConfigError, match="FINSIGNAL_RATINGS_TIME"):
        load_settings(_env_file=None, ratings_time="5am")
    with pytest.raises(ConfigError, match="FINSIGNAL_RATINGS_MAX_AGE_DAYS"):
        load_settings(_env_file=None, ratings_max_age_days=0)


async def test_rating_job_takes_its_lease(sqlite_repos: Repositories, make: Maker) -> None:
    await watch(sqlite_repos, "GOOG")
    await sqlite_repos.bars.upsert_bars(goog_bars("GOOG"))
    assert await sqlite_repos.state.try_lease("job:rate_signals", "other-host", NOW, 600.0)
    run = await make().run_job("rate_signals")
    assert (run.outcome, run.detail) == ("skipped", "lease held by another owner")
    assert await sqlite_repos.ratings.list_ratings("GOOG") == []


async def test_short_stored_history_is_loaded_first_and_its_new_bars_evaluated(
    sqlite_repos: Repositories, make: Maker
) -> None:
    await watch(sqlite_repos, "GOOG", "RECENT", "TINY")
    full = goog_bars("RECENT")
    await sqlite_repos.bars.upsert_bars(goog_bars("GOOG"))
    await sqlite_repos.bars.upsert_bars(full[-300:-1])  # first update: ~400 days, not yet the last bar
    await sqlite_repos.bars.upsert_bars(goog_bars("TINY")[:100])
    history = FakeHistory(sqlite_repos, {"RECENT": full})
    rt = make(history=history)

    run = await rt.run_job("rate_signals")

    assert run.detail.startswith("2 rated, 1 skipped"), run.detail
    assert history.calls == [(["RECENT", "TINY"], 4)]  # GOOG's stored history is deep enough
    recent = await sqlite_repos.ratings.list_ratings("RECENT")
    goog = await sqlite_repos.ratings.list_ratings("GOOG")
    assert {r.period_start for r in recent} == {r.period_start for r in goog}  # the full 3-year study
    assert [r.count for r in sorted(recent, key=str)] == [r.count for r in sorted(goog, key=str)]
    # the bar no finalise had seen went through the signal pipeline like finalise's bars
    assert rt.pipeline.last_ts["RECENT"] == full[-1].ts
    assert run.detail.endswith("skipped: TINY")  # its source had nothing more: rated on what is stored
    assert await sqlite_repos.ratings.list_ratings("TINY") == []


async def test_ratings_of_other_parameters_are_due_extra_horizons_are_ignored(
    sqlite_repos: Repositories, make: Maker
) -> None:
    await watch(sqlite_repos, "A", "B", "C")
    rater = make().rater
    await sqlite_repos.ratings.upsert_ratings(
        old_ratings("A", NOW, sma_slow=100)  # settings changed since: SMA 200 now
        + old_ratings("B", NOW)
        + old_ratings("B", NOW - timedelta(days=30), horizons=(120,))  # an admin's extra horizon
        + old_ratings("C", NOW)[1:]  # one (signal, horizon) missing
    )
    assert [await rater.is_due(s, NOW) for s in ("A", "B", "C")] == [True, False, True]
    assert await rater.is_due("B", NOW + timedelta(days=7, seconds=1))
