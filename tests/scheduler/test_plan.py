"""The job plan over simulated trading weeks: time zones, sessions, holidays, DST, staggering."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import ConfigError
from core.settings import Settings, load_settings
from core.timeutil import KST
from scheduler import JobDef, fire_times, plan_jobs

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def jobs() -> dict[str, JobDef]:
    settings = Settings(_env_file=None, briefing_times=["08:00", "06:30"])  # type: ignore[call-arg]
    return {j.id: j for j in plan_jobs(settings)}


def _week(d: date) -> tuple[datetime, datetime]:
    start = datetime.combine(d, time(0), UTC) - timedelta(days=1)
    return start, start + timedelta(days=8)


def _local(times: list[datetime], tz: ZoneInfo) -> list[datetime]:
    return [t.astimezone(tz) for t in times]


def test_us_quotes_only_inside_sessions_thanksgiving_week(jobs: dict[str, JobDef]) -> None:
    times = _local(fire_times(jobs["update_prices.us"], *_week(date(2026, 11, 23))), NY)
    per_day = Counter(t.date() for t in times)
    # Mon-Wed full sessions 09:30-16:00 every 5 min = 79 polls; Thanksgiving none; Friday closes 13:00.
    assert per_day == {
        date(2026, 11, 23): 79,
        date(2026, 11, 24): 79,
        date(2026, 11, 25): 79,
        date(2026, 11, 27): 43,
    }
    assert all(time(9, 30) <= t.time() <= time(16, 0) for t in times)
    assert max(t for t in times if t.date() == date(2026, 11, 27)).time() == time(13, 0)
    assert min(times).time() == time(9, 30)


def test_us_finalise_after_close_in_new_york_time_across_dst(jobs: dict[str, JobDef]) -> None:
    start = datetime(2026, 10, 26, tzinfo=UTC)
    times = fire_times(jobs["finalise_bars.us"], start, start + timedelta(days=14))
    local = _local(times, NY)
    assert [t.date().isoformat() for t in local] == [
        "2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30",
        "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06",
    ]  # fmt: skip
    # US DST ends 2026-11-01: 16:30 New York is 20:30 UTC before and 21:30 UTC after.
    assert {t.time() for t in local} == {time(16, 20)}
    assert times[4].astimezone(UTC).time() == time(20, 20)
    assert times[5].astimezone(UTC).time() == time(21, 20)


def test_us_early_close_and_holiday_finalise(jobs: dict[str, JobDef]) -> None:
    local = _local(fire_times(jobs["finalise_bars.us"], *_week(date(2026, 11, 23))), NY)
    assert date(2026, 11, 26) not in {t.date() for t in local}
    assert local[-1] == datetime(2026, 11, 27, 13, 20, tzinfo=NY)


def test_xetra_sessions_in_berlin_time_across_eu_dst(jobs: dict[str, JobDef]) -> None:
    # EU DST ends 2026-10-25: Xetra opens 07:00 UTC before, 08:00 UTC after; 09:00 Berlin throughout.
    start = datetime(2026, 10, 19, tzinfo=UTC)
    times = fire_times(jobs["update_prices.xetra"], start, start + timedelta(days=14))
    first_per_day: dict[date, datetime] = {}
    for t in times:
        first_per_day.setdefault(t.astimezone(BERLIN).date(), t)
    assert len(first_per_day) == 10
    assert first_per_day[date(2026, 10, 23)].astimezone(UTC).time() == time(7, 0, 20)
    assert first_per_day[date(2026, 10, 26)].astimezone(UTC).time() == time(8, 0, 20)
    assert all(time(9, 0) <= t.astimezone(BERLIN).time() <= time(17, 30) for t in times)
    finals = _local(fire_times(jobs["finalise_bars.xetra"], start, start + timedelta(days=14)), BERLIN)
    assert {t.time() for t in finals} == {time(17, 50, 20)}


def test_krx_chuseok_holidays_have_no_jobs(jobs: dict[str, JobDef]) -> None:
    start, end = _week(date(2026, 9, 21))
    polls = _local(fire_times(jobs["update_prices.krx"], start, end), KST)
    days = sorted({t.date() for t in polls})
    # Chuseok 2026: Sep 24-25 (Thu-Fri) closed.
    assert days == [date(2026, 9, 21), date(2026, 9, 22), date(2026, 9, 23)]
    assert all(time(9, 0) <= t.time() <= time(15, 30) for t in polls)
    finals = _local(fire_times(jobs["finalise_bars.krx"], start, end), KST)
    assert [t.date() for t in finals] == days
    assert {t.time() for t in finals} == {time(15, 50, 40)}


def test_kets_polls_only_in_its_own_session_and_finalises_after_1530(jobs: dict[str, JobDef]) -> None:
    start, end = _week(date(2026, 11, 16))
    polls = _local(fire_times(jobs["update_prices.kets"], start, end), KST)
    assert len({t.date() for t in polls}) == 5
    assert all(time(10, 0) <= t.time() <= time(12, 0) for t in polls)
    assert min(t.time() for t in polls) == time(10, 1)  # 4th market: 3 x 20 s stagger
    finals = _local(fire_times(jobs["finalise_bars.kets"], start, end), KST)
    assert len(finals) == 5
    assert all(t.time() > time(15, 30) for t in finals)


def test_prev_close_snapshot_before_each_open(jobs: dict[str, JobDef]) -> None:
    local = _local(fire_times(jobs["snapshot_prev_close.us"], *_week(date(2026, 11, 23))), NY)
    assert [t.day for t in local] == [23, 24, 25, 27]
    assert {t.time() for t in local} == {time(9, 15)}


def test_eex_daily_after_1130_berlin_and_briefings_in_kst(jobs: dict[str, JobDef]) -> None:
    start, end = _week(date(2026, 10, 19))
    eex = _local(fire_times(jobs["fetch_eex_auctions"], start, end + timedelta(days=7)), BERLIN)
    assert len(eex) == 10
    assert {t.time() for t in eex} == {time(11, 45)}
    assert {t.weekday() for t in eex} == {0, 1, 2, 3, 4}
    briefing = _local(fire_times(jobs["send_briefing.0800"], start, start + timedelta(days=7)), KST)
    assert len(briefing) == 5
    assert {t.time() for t in briefing} == {time(8, 0)}
    assert jobs["send_briefing.0630"].slot == "06:30"


def test_us_bars_are_final_before_the_0630_kst_briefing(jobs: dict[str, JobDef]) -> None:
    for d in (date(2026, 7, 13), date(2026, 11, 16)):  # US summer and winter time
        start, end = _week(d)
        finals = fire_times(jobs["finalise_bars.us"], start, end)
        briefings = fire_times(jobs["send_briefing.0630"], start, end)
        for f in [f for f in finals if f.astimezone(NY).weekday() < 4]:  # no Saturday briefing
            nxt = min(b for b in briefings if b > f)
            assert nxt - f < timedelta(hours=2), (f, nxt)


def test_no_two_jobs_fire_at_the_same_moment(jobs: dict[str, JobDef]) -> None:
    start, end = _week(date(2026, 11, 16))
    every: Counter[datetime] = Counter()
    for job in jobs.values():
        every.update(fire_times(job, start, end))
    assert every, "the plan fires nothing"
    clashes = {t: n for t, n in every.items() if n > 1}
    assert clashes == {}


def test_bad_scheduler_setting_is_rejected_with_its_name() -> None:
    from core.errors import ConfigError
    from core.settings import load_settings

    with pytest.raises(ConfigError, match="FINSIGNAL_EEX_FETCH_TIME"):
        load_settings(eex_fetch_time="noon")


def test_krx_exam_day_trades_an_hour_later(jobs: dict[str, JobDef]) -> None:
    day = date(2026, 11, 19)  # 수능: KRX 10:00-16:30 KST
    start = datetime.combine(day, time(0), KST)
    polls = _local(fire_times(jobs["update_prices.krx"], start, start + timedelta(days=1)), KST)
    assert (min(polls).time(), max(polls).time()) == (time(10, 0, 40), time(16, 25, 40))
    finals = _local(fire_times(jobs["finalise_bars.krx"], start, start + timedelta(days=1)), KST)
    assert [t.time() for t in finals] == [time(16, 50, 40)]
    normal = _local(fire_times(jobs["update_prices.krx"], start - timedelta(days=1), start), KST)
    assert min(normal).time() == time(9, 0, 40)


def test_later_exam_days_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINSIGNAL_KRX_LATE_DAYS", "2027-11-18, 2028-11-16")
    settings = load_settings(_env_file=None)
    assert settings.krx_late_days == [date(2027, 11, 18), date(2028, 11, 16)]
    jobs = {j.id: j for j in plan_jobs(settings)}
    for day in (date(2027, 11, 18), date(2028, 11, 16)):
        start = datetime.combine(day, time(0), KST)
        polls = _local(fire_times(jobs["update_prices.krx"], start, start + timedelta(days=1)), KST)
        assert min(polls).time() == time(10, 0, 40)
    monkeypatch.setenv("FINSIGNAL_KRX_LATE_DAYS", "next thursday")
    with pytest.raises(ConfigError, match="FINSIGNAL_KRX_LATE_DAYS"):
        load_settings(_env_file=None)


def test_weekly_briefing_at_a_configurable_kst_time_or_off() -> None:
    from core.settings import Settings as S

    jobs = {j.id: j for j in plan_jobs(S(_env_file=None, weekly_briefing="Sun 19:30"))}  # type: ignore[call-arg]
    weekly = jobs["send_briefing.weekly"]
    assert weekly.slot == "weekly"
    assert str(weekly.trigger) == "cron[day_of_week='sun', hour='19', minute='30']"
    off = plan_jobs(S(_env_file=None, weekly_briefing="off"))  # type: ignore[call-arg]
    assert "send_briefing.weekly" not in {j.id for j in off}
    with pytest.raises(ValueError, match="sat 09:00"):
        S(_env_file=None, weekly_briefing="saturday")  # type: ignore[call-arg]
