"""After the close, the day's minute bars against the daily bar: the pure check, and the job over a
whole KRX session on a controllable clock with the KIS stand-in (mismatches counted, logged, in health)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from core.ports import Repositories
from core.types import Bar, Chat, ChatKind, Interval, Market, Watch
from market import MarketData
from market.minute_check import check_day
from market.resolver import make_instrument
from scheduler import Runtime
from tests.fakes.fake_kis import KST, FakeKis, minute_rows
from tests.fakes.fake_sources import FakeSources
from tests.market.conftest import FakeClock, make_settings
from tests.scheduler.fakes import RecordingNotifier, engine_factory

MONDAY = date(2026, 11, 23)
DAY_TS = datetime(2026, 11, 23, tzinfo=UTC)


def kst(hh: int, mm: int, ss: int = 5) -> datetime:
    return datetime(2026, 11, 23, hh, mm, ss, tzinfo=KST).astimezone(UTC)


def minute(ts: datetime, o: float, h: float, lo: float, c: float, v: float) -> Bar:
    return Bar("X", Interval.M1, ts, o, h, lo, c, v)


def daily(symbol: str, o: float, h: float, lo: float, c: float, v: float) -> Bar:
    return Bar(symbol, Interval.D1, DAY_TS, o, h, lo, c, v, source="kis")


def daily_from_stand_in(code: str, *, close_factor: float = 1.0) -> Bar:
    """The daily bar KIS serves for the day (what the stand-in's daily endpoint adds up)."""
    rows = minute_rows(code, MONDAY)
    return daily(
        f"{code}.KS",
        float(rows[-1]["stck_oprc"]),
        max(float(r["stck_hgpr"]) for r in rows),
        min(float(r["stck_lwpr"]) for r in rows),
        float(rows[0]["stck_prpr"]) * close_factor,
        float(sum(int(r["cntg_vol"]) for r in rows)),
    )


def test_minutes_that_add_up_pass_and_each_field_that_does_not_is_named() -> None:
    bars = [minute(kst(9, 0, 0), 100, 103, 99, 102, 10), minute(kst(15, 30, 0), 102, 104, 101, 103, 5)]
    assert check_day("X", bars, daily("X", 100, 104, 99, 103, 15)).ok
    assert check_day("X", bars[::-1], daily("X", 100.2, 104, 99, 103, 15.2)).ok  # within tolerances
    bad = check_day("X", bars, daily("X", 100, 104, 98, 110, 20))
    assert bad.problems == (
        "low 99 from minutes vs 98 daily",
        "close 103 from minutes vs 110 daily",
        "volume 15 from minutes vs 20 daily",
    )
    missing = check_day("X", bars, None)
    assert not missing.ok
    assert not missing.has_daily


async def test_after_the_close_the_session_is_checked_against_the_daily_bars(
    fake: FakeSources, sqlite_repos: Repositories, caplog: pytest.LogCaptureFixture
) -> None:
    repos = sqlite_repos
    samsung = make_instrument("005930.KS", Market.KRX, "삼성전자")
    await repos.instruments.upsert_instruments([samsung])
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(1, "005930.KS"))
    clock = FakeClock(kst(9, 1))
    with FakeKis(rate_per_s=1000, token_gap_s=0.0, now=clock.now) as kis:
        settings = make_settings(fake, **kis.settings_overrides(kis_rate_per_s=500.0, catch_up_hours=0.0))
        md = MarketData(settings, repos, clock=clock)
        universe = [make_instrument("000660.KS", Market.KRX), make_instrument("035420.KS", Market.KRX)]
        rt = Runtime(settings, repos, market=md, notifier=RecordingNotifier(repos),
                     engine_factory=engine_factory, clock=clock, owner_id="c", universe=universe)  # fmt: skip
        job = "check_minute_bars.krx"
        assert job in rt.jobs
        t = kst(9, 1)
        while t <= kst(15, 1):  # the session on the clock, then the round after the closing auction
            clock.current = t
            assert (await rt.run_job("update_minute_bars.krx")).outcome == "ok"
            t += timedelta(minutes=30)
        clock.current = kst(15, 31, 10)
        assert (await rt.run_job("update_minute_bars.krx")).outcome == "ok"
        clock.current = kst(14, 0)
        assert (await rt.run_job(job)).outcome == "skipped"  # still open: nothing to check yet
        await repos.bars.upsert_bars(
            [
                daily_from_stand_in("005930"),
                daily_from_stand_in("000660", close_factor=1.02),  # a daily bar that disagrees
            ]
        )  # fmt: skip  (035420 has none yet)
        clock.current = kst(16, 30)
        with caplog.at_level(logging.WARNING, logger="scheduler.minute_check"):
            run = await rt.run_job(job)
        report = await rt.health_report()
        await md.close()
    assert run.outcome == "ok", run.detail
    assert run.detail == "2026-11-23: 3 checked, 1 mismatched, 1 without daily bar"
    check = report["minute_check"]
    assert check["day"] == "2026-11-23"
    [problem] = check["problems"]["000660.KS"]
    assert problem.startswith("close ")
    assert problem.endswith(" daily")
    assert list(check["problems"]) == ["000660.KS"]
    logged = [r.getMessage() for r in caplog.records]
    assert any("000660.KS" in m and "381 minute bars disagree" in m for m in logged)
    assert any("035420.KS" in m and "no daily bar" in m for m in logged)
