"""The job plan: which job fires when. Pure: settings in, job definitions (id, kind, trigger) out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.ports import WEEKLY_SLOT
from core.settings import Settings
from core.timeutil import KST
from core.types import Market
from scheduler.calendars import MarketSpec, default_specs, parse_hhmm, session_calendar
from scheduler.triggers import SessionAnchorTrigger, SessionIntervalTrigger

EEX_TZ = "Europe/Berlin"


MINUTE_TAIL = timedelta(minutes=2)  # minute rounds go on this long after the close (the closing auction bar)


class JobKind(StrEnum):
    """Job names (verbs). A job id is `kind` or `kind.market` / `kind.HHMM`."""

    UPDATE_PRICES = "update_prices"
    SNAPSHOT_PREV_CLOSE = "snapshot_prev_close"
    FINALISE_BARS = "finalise_bars"
    EVALUATE_SIGNALS = "evaluate_signals"
    FETCH_EEX_AUCTIONS = "fetch_eex_auctions"
    CRAWL_NEWS = "crawl_news"
    SEND_BRIEFING = "send_briefing"
    RATE_SIGNALS = "rate_signals"
    UPDATE_MINUTE_BARS = "update_minute_bars"
    COLLECT_KRX_DEPTH = "collect_krx_depth"
    COLLECT_FLOWS = "collect_flows"  # issue 22: monthly fund-flow collection
    CHECK_MINUTE_BARS = "check_minute_bars"  # issue 21: the day's minute bars against the daily bar
    ARCHIVE_BARS = "archive_bars"  # issue 20: old months of bars to the cold tier (Parquet)


@dataclass(frozen=True, slots=True)
class JobDef:
    """One scheduled job: `market` for market jobs, `slot` ('08:00') for briefings."""

    id: str
    kind: JobKind
    trigger: BaseTrigger
    market: Market | None = None
    slot: str = ""


def market_specs(settings: Settings) -> dict[Market, MarketSpec]:
    """The scheduled markets with the KETS hours and extra KRX exam days from settings."""
    return default_specs(settings.kets_session, settings.kets_finalise_time, settings.krx_late_days)


def plan_jobs(
    settings: Settings,
    *,
    specs: Mapping[Market, MarketSpec] | None = None,
    with_news: bool = True,
    with_briefings: bool = True,
    with_flows: bool = False,
    with_archive: bool = False,
) -> list[JobDef]:
    """Every job with its trigger. Jobs of one kind are staggered by `job_stagger_seconds`."""
    specs = dict(specs) if specs is not None else market_specs(settings)
    stagger = timedelta(seconds=settings.job_stagger_seconds)
    every = timedelta(minutes=settings.price_update_minutes)
    delay = timedelta(minutes=settings.finalise_delay_minutes)
    lead = timedelta(minutes=settings.prev_close_lead_minutes)
    jobs: list[JobDef] = []
    for i, (market, spec) in enumerate(specs.items()):
        cal = session_calendar(spec)
        jobs += [
            JobDef(
                f"{JobKind.UPDATE_PRICES}.{market}",
                JobKind.UPDATE_PRICES,
                SessionIntervalTrigger(cal, every, offset=i * stagger),
                market,
            ),
            JobDef(
                f"{JobKind.SNAPSHOT_PREV_CLOSE}.{market}",
                JobKind.SNAPSHOT_PREV_CLOSE,
                SessionAnchorTrigger(cal, "open", offset=-lead + i * stagger),
                market,
            ),
            JobDef(
                f"{JobKind.FINALISE_BARS}.{market}",
                JobKind.FINALISE_BARS,
                SessionAnchorTrigger(cal, "finalise", offset=delay + i * stagger),
                market,
            ),
        ]
    krx = specs.get(Market.KRX)
    if krx is not None and settings.kis_app_key is not None:  # minute bars of Korean stocks from KIS
        jobs.append(
            JobDef(
                f"{JobKind.UPDATE_MINUTE_BARS}.{Market.KRX}",
                JobKind.UPDATE_MINUTE_BARS,
                SessionIntervalTrigger(
                    session_calendar(krx), timedelta(minutes=1), offset=stagger / 2, tail=MINUTE_TAIL
                ),
                Market.KRX,
            )
        )
    if krx is not None and settings.kis_app_key is not None:  # after the daily bar is in (finalise_bars)
        jobs.append(
            JobDef(
                f"{JobKind.CHECK_MINUTE_BARS}.{Market.KRX}",
                JobKind.CHECK_MINUTE_BARS,
                SessionAnchorTrigger(session_calendar(krx), "finalise", offset=delay + timedelta(minutes=15)),
                Market.KRX,
            )
        )
    if krx is not None and settings.kis_app_key is not None:  # flows are published after the close
        jobs.append(
            JobDef(
                JobKind.COLLECT_KRX_DEPTH.value,
                JobKind.COLLECT_KRX_DEPTH,
                SessionAnchorTrigger(session_calendar(krx), "close", offset=timedelta(minutes=40)),
                Market.KRX,
            )
        )
    eex = parse_hhmm(settings.eex_fetch_time)
    jobs.append(
        JobDef(
            JobKind.FETCH_EEX_AUCTIONS.value,
            JobKind.FETCH_EEX_AUCTIONS,
            CronTrigger(day_of_week="mon-fri", hour=eex.hour, minute=eex.minute, timezone=EEX_TZ),
            Market.EEX,
        )
    )
    rate = parse_hhmm(settings.ratings_time)
    jobs.append(
        JobDef(
            JobKind.RATE_SIGNALS.value,
            JobKind.RATE_SIGNALS,
            # half a stagger past the minute: never at the same moment as a quote poll or briefing
            CronTrigger(
                hour=rate.hour, minute=rate.minute, second=min(59, stagger.seconds // 2), timezone=KST
            ),
        )
    )
    if with_news:
        jobs.append(
            JobDef(
                JobKind.CRAWL_NEWS.value,
                JobKind.CRAWL_NEWS,
                IntervalTrigger(
                    minutes=settings.news_crawl_minutes,
                    start_date=datetime(2024, 1, 1, tzinfo=KST) + len(specs) * stagger + stagger / 2,
                    timezone=KST,
                ),
            )
        )
    if with_briefings:
        for slot in settings.briefing_times:
            t = parse_hhmm(slot)
            jobs.append(
                JobDef(
                    f"{JobKind.SEND_BRIEFING}.{t:%H%M}",
                    JobKind.SEND_BRIEFING,
                    CronTrigger(
                        day_of_week=settings.briefing_days, hour=t.hour, minute=t.minute, timezone=KST
                    ),
                    slot=f"{t:%H:%M}",
                )
            )
        if settings.weekly_briefing != "off":
            day, _, hhmm = settings.weekly_briefing.partition(" ")
            w = parse_hhmm(hhmm)
            jobs.append(
                JobDef(
                    f"{JobKind.SEND_BRIEFING}.weekly",
                    JobKind.SEND_BRIEFING,
                    CronTrigger(day_of_week=day, hour=w.hour, minute=w.minute, timezone=KST),
                    slot=WEEKLY_SLOT,
                )
            )
    if with_flows:  # issue 22: the month just ended, on the 1st (UTC)
        at = parse_hhmm(settings.fundflow_collect_time)
        trigger = CronTrigger(day=1, hour=at.hour, minute=at.minute, timezone="UTC")
        jobs.append(JobDef(JobKind.COLLECT_FLOWS.value, JobKind.COLLECT_FLOWS, trigger))
    if with_archive:  # issue 20: daily at 20:40 UTC (after the US close, before Seoul opens)
        trigger = CronTrigger(hour=20, minute=40, timezone="UTC")
        jobs.append(JobDef(JobKind.ARCHIVE_BARS.value, JobKind.ARCHIVE_BARS, trigger))
    return jobs


def fire_times(job: JobDef, start: datetime, end: datetime) -> list[datetime]:
    """The fire times of `job` in [start, end) as APScheduler computes them (for tests and `status`)."""
    out: list[datetime] = []
    prev: datetime | None = None
    now = start
    while True:
        nxt = job.trigger.get_next_fire_time(prev, now)
        if nxt is None or nxt >= end:
            return out
        out.append(nxt)
        prev, now = nxt, nxt


def missed_bar_jobs(
    jobs: Iterable[JobDef], last_started: Mapping[str, datetime], now: datetime, within: timedelta
) -> list[str]:
    """Bar jobs whose latest fire time in the last `within` passed without a run started since."""
    due: list[str] = []
    for job in jobs:
        if job.kind not in (JobKind.FINALISE_BARS, JobKind.FETCH_EEX_AUCTIONS, JobKind.COLLECT_FLOWS):
            continue
        past = fire_times(job, now - within, now)
        last = last_started.get(job.id)
        if past and (last is None or last < past[-1]):
            due.append(job.id)
    return due
