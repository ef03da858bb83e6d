"""Intraday engines: closed buckets, ratings on minute bars kept apart from daily ones, and the alert
that carries the one of its own timeframe."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.delivery import OutboxNotifier
from core.ports import Repositories
from core.types import (
    Bar,
    Chat,
    ChatKind,
    Instrument,
    Interval,
    Market,
    Rating,
    SignalEvent,
    SignalType,
    Watch,
)
from scheduler.engines import engine_factory
from scheduler.intraday import IntradaySignals, closed_buckets
from signals import SignalConfig
from tests.scheduler.fakes import RecordingNotifier

KST_0900 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 09:00 KST
CLOSE = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 15:30 KST


def one(ts: datetime) -> Bar:
    return Bar("A", Interval.M1, ts, 100, 101, 99, 100, 10)


def test_a_bucket_closes_at_its_end_or_with_the_session() -> None:
    bars = [one(KST_0900 + timedelta(minutes=m)) for m in (3, 4, 5)]
    assert closed_buckets(bars, Interval.M5, KST_0900 + timedelta(minutes=5), CLOSE) == [KST_0900]
    assert closed_buckets(bars, Interval.M5, KST_0900 + timedelta(minutes=4, seconds=59), CLOSE) == []
    assert closed_buckets(bars, Interval.M15, KST_0900 + timedelta(minutes=15), CLOSE) == [KST_0900]
    auction = [one(CLOSE)]  # the closing auction stands alone and closes a minute after the close
    assert closed_buckets(auction, Interval.M5, CLOSE + timedelta(minutes=1), CLOSE) == [CLOSE]
    assert closed_buckets(auction, Interval.M15, CLOSE + timedelta(seconds=30), CLOSE) == []


def walk(n: int) -> list[Bar]:
    rng = random.Random(7)
    out, p, t = [], 100.0, datetime(2026, 10, 1, tzinfo=UTC)
    for i in range(n):
        o, p = p, p * (1 + rng.gauss(0, 0.003))
        vol = rng.randint(100, 1000) * (20 if i % 97 == 0 else 1)
        out.append(Bar("005930.KS", Interval.M5, t, o, max(o, p) * 1.001, min(o, p) * 0.999, p, vol))
        t += timedelta(minutes=5)
    return out


async def test_minute_ratings_are_kept_apart_and_reach_the_alert(sqlite_repos: Repositories) -> None:
    repos = sqlite_repos
    intraday = IntradaySignals(repos, OutboxNotifier(repos), SignalConfig(), engine_factory)
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    await repos.bars.upsert_bars(walk(150))
    await intraday.rate(["005930.KS"], Interval.M5, now)
    assert await repos.ratings.list_ratings("005930.KS@5m") == []  # too little history: no rating
    await repos.bars.upsert_bars(walk(2000))
    await intraday.rate(["005930.KS"], Interval.M5, now)
    assert await repos.ratings.list_ratings("005930.KS@5m") == []  # rated once a day
    intraday = IntradaySignals(repos, OutboxNotifier(repos), SignalConfig(), engine_factory)
    await intraday.rate(["005930.KS"], Interval.M5, now)
    ratings = await repos.ratings.list_ratings("005930.KS@5m")
    assert {r.horizon for r in ratings} == {12}
    spike = next(r for r in ratings if r.signal is SignalType.VOLUME_SPIKE)
    assert await repos.ratings.list_ratings("005930.KS") == []  # the daily track record is untouched

    daily = Rating("005930.KS", SignalType.VOLUME_SPIKE, 20, 40, 0.9, 0.01, 0.01, 0.0, 0.01, 3.5, -0.02, "A",
                   datetime(2016, 1, 1, tzinfo=UTC), now)  # fmt: skip
    await repos.ratings.upsert_ratings([daily])
    await repos.instruments.upsert_instruments(
        [Instrument("005930.KS", "삼성전자", Market.KRX, "KRW", "Asia/Seoul")]
    )
    await repos.chats.upsert_chat(Chat(7, ChatKind.PRIVATE))
    await repos.chats.upsert_chat(Chat(8, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(7, "005930.KS", intervals=frozenset({Interval.M5})))
    await repos.watches.upsert_watch(Watch(8, "005930.KS"))  # daily only
    event = SignalEvent("005930.KS", SignalType.VOLUME_SPIKE, Interval.M5, now, 100.0,
                        {"volume": 3000.0, "vol_base": 600.0}, 5.0)  # fmt: skip
    [message] = await OutboxNotifier(repos).messages_for(event)
    assert message.chat_id == 7  # the daily watcher gets no 5-minute alert
    pct = round((spike.hit_rate or 0) * 100)
    assert f"12-bar hit rate {pct}% on 5-minute bars (n={spike.count}), grade {spike.grade}" in message.text
    assert "grade A" not in message.text  # not the daily rating
    daily_event = SignalEvent("005930.KS", SignalType.VOLUME_SPIKE, Interval.D1, now, 100.0,
                              {"volume": 3000.0, "vol_base": 600.0}, 5.0)  # fmt: skip
    [daily_message] = await OutboxNotifier(repos).messages_for(daily_event)
    assert daily_message.chat_id == 8
    assert "grade A" in daily_message.text


async def test_buckets_built_round_by_round_equal_the_stored_minutes_resampled(
    sqlite_repos: Repositories,
) -> None:
    """Rounds a minute apart build buckets from the bars handed over (no storage read); rounds further
    apart read storage. Both give the stored minutes resampled, the late-arriving first minutes included."""
    from market.resample import resample

    repos = sqlite_repos
    rng = random.Random(3)
    minutes = []
    p = 100.0
    for k in range(40):
        c = p * (1 + rng.gauss(0, 0.002))
        minutes.append(
            Bar(
                "005930.KS",
                Interval.M1,
                KST_0900 + timedelta(minutes=k),
                p,
                max(p, c),
                min(p, c),
                c,
                rng.randint(1, 99),
            )
        )
        p = c
    await repos.bars.upsert_bars(minutes[:7])  # stored before this process started
    intraday = IntradaySignals(repos, OutboxNotifier(repos), SignalConfig(), engine_factory)
    for k in range(7, 40):  # one round a minute, each handing over the minute that closed
        await repos.bars.upsert_bars([minutes[k]])
        await intraday.on_minutes(
            {"005930.KS": [minutes[k]]}, minutes[k].ts + timedelta(minutes=1, seconds=5), CLOSE
        )
    for iv in (Interval.M5, Interval.M15):  # every bucket touched by a handed minute, once it closed
        step = timedelta(minutes=5 if iv == Interval.M5 else 15)
        closed = minutes[-1].ts + timedelta(minutes=1)
        expected = [b for b in resample(minutes, iv) if b.ts + step > minutes[7].ts and b.ts + step <= closed]
        assert await repos.bars.list_bars("005930.KS", iv) == expected
    later = [
        replace(minutes[-1], ts=minutes[-1].ts + timedelta(minutes=k), close=90.0) for k in (5, 6, 7, 8, 9)
    ]
    await repos.bars.upsert_bars(later)
    await intraday.on_minutes({"005930.KS": later}, later[-1].ts + timedelta(minutes=1), CLOSE)  # 5 min later
    [last] = (await repos.bars.list_bars("005930.KS", Interval.M5))[-1:]
    assert last.ts == KST_0900 + timedelta(minutes=40)  # 09:40-09:44: only 09:44 traded; 09:45 not closed
    assert (last.open, last.close, last.volume) == (later[0].open, 90.0, later[0].volume)


async def test_a_failed_round_is_caught_up_by_the_next(sqlite_repos: Repositories) -> None:
    repos = sqlite_repos
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(1, "A.KS", intervals=frozenset({Interval.M1})))
    notifier = RecordingNotifier(repos, fail_times=1)
    intraday = IntradaySignals(repos, notifier, SignalConfig(), engine_factory)

    def bar(k: int, volume: float) -> Bar:
        return Bar("A.KS", Interval.M1, KST_0900 + timedelta(minutes=k), 100, 101, 99, 100 + k % 3, volume)

    quiet = [bar(k, 100) for k in range(30)]
    await repos.bars.upsert_bars(quiet)
    await intraday.on_minutes({"A.KS": quiet}, quiet[-1].ts + timedelta(minutes=1), CLOSE)
    spike = bar(30, 10_000)
    await repos.bars.upsert_bars([spike])
    failed = await intraday.on_minutes({"A.KS": [spike]}, spike.ts + timedelta(minutes=1), CLOSE)
    assert Interval.M1 not in failed  # delivery was down: logged, the round goes on
    assert notifier.published == []
    after = bar(31, 100)
    await repos.bars.upsert_bars([after])
    await intraday.on_minutes({"A.KS": [after]}, after.ts + timedelta(minutes=1), CLOSE)
    spikes = [e for e in notifier.published if e.signal is SignalType.VOLUME_SPIKE]
    assert [(e.ts, e.interval) for e in spikes] == [(spike.ts, Interval.M1)]
