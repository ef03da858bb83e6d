"""Intraday signals end to end: a chat says `/watch 005930 5m` to the real bot over the fake Bot API;
the live minute updater runs a KRX morning on a controllable clock against the KIS stand-in, whose
constructed session has one huge trade at 10:12; the closed 10:10 five-minute bar makes a volume spike
in the 5m engine, and the alert naming 5-minute bars reaches the chat through the outbox and sender."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from bot.app import build_application, run_application
from bot.delivery import OutboxNotifier
from core.errors import SymbolError
from core.ports import Repositories
from core.types import Instrument, Interval, Market, SignalType
from market import MarketData
from market.resolver import make_instrument
from scheduler import Runtime
from tests.bot.fakes import make_services
from tests.bot.fakes import make_settings as bot_settings
from tests.fakes.fake_kis import KST, FakeKis, minute_rows
from tests.fakes.fake_sources import FakeSources
from tests.fakes.fake_telegram import FakeTelegram, Sent
from tests.market.conftest import FakeClock, make_settings

MONDAY = date(2026, 11, 23)
JOB = "update_minute_bars.krx"
SAMSUNG = make_instrument("005930.KS", Market.KRX, "삼성전자")
CHAT = 1001


class KrxResolver:
    async def resolve(self, text: str, *, verify: bool = False) -> Instrument:
        if text.upper() in ("005930", "005930.KS"):
            return SAMSUNG
        if text.upper() == "FCO2.DE":
            return make_instrument("FCO2.DE", Market.XETRA, "SparkChange")
        raise SymbolError(text)


def kst(day: date, hh: int, mm: int, ss: int = 5) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=KST).astimezone(UTC)


def spiked_session(code: str, day: date, at: str, times: int) -> list[dict[str, str]]:
    """The stand-in's session with one minute's volume multiplied (a block trade)."""
    return [
        {**r, "cntg_vol": str(int(r["cntg_vol"]) * times)} if r["stck_cntg_hour"] == at else r
        for r in minute_rows(code, day)
    ]


async def ask(tg: FakeTelegram, text: str) -> Sent:
    before = len(tg.sent_to(CHAT))
    tg.push_message(CHAT, text)
    await tg.wait_for(lambda: len(tg.sent_to(CHAT)) > before)
    return tg.sent_to(CHAT)[before]


async def test_watch_5m_gets_the_5_minute_volume_spike_alert(
    fake: FakeSources, sqlite_repos: Repositories
) -> None:
    repos = sqlite_repos
    clock = FakeClock(kst(MONDAY, 8, 50))
    async with FakeTelegram() as tg:
        settings = bot_settings(tg.base_url, token=tg.token)
        app = build_application(
            settings, make_services(repos, resolver=KrxResolver()), sender_options={"idle_s": 0.05}
        )
        stop = asyncio.Event()
        task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=1))
        await tg.wait_for(lambda: tg.calls("getUpdates"))

        assert "Unknown timeframe" in (await ask(tg, "/watch 005930 30m")).text
        assert "Korean stocks only" in (await ask(tg, "/watch FCO2.DE 5m")).text
        added = await ask(tg, "/watch 005930 5m")
        assert "on 5-minute bars" in added.text, added.text
        assert "[5m]" in (await ask(tg, "/watchlist")).text
        [watch] = await repos.watches.list_watches(CHAT)
        assert watch.intervals == {Interval.M5}
        assert await repos.watches.list_watched_symbols(Interval.M5) == ["005930.KS"]
        assert await repos.watches.list_watched_symbols(Interval.M15) == []

        with FakeKis(rate_per_s=1000, token_gap_s=0.0, now=clock.now) as kis:
            kis.paths[("005930", MONDAY)] = spiked_session("005930", MONDAY, "101200", 200)
            md_settings = make_settings(
                fake, **kis.settings_overrides(kis_rate_per_s=500.0, catch_up_hours=0.0)
            )
            md = MarketData(md_settings, repos, clock=clock)
            rt = Runtime(md_settings, repos, market=md, notifier=OutboxNotifier(repos, clock=clock),
                         clock=clock, owner_id="collector")  # fmt: skip
            details = []
            t = kst(MONDAY, 9, 1)
            while t <= kst(MONDAY, 10, 21):
                clock.current = t
                run = await rt.run_job(JOB)
                assert run.outcome == "ok", run.detail
                details.append(run.detail)
                t += timedelta(minutes=5)
            await rt.stop()
            await md.close()

        await tg.wait_for(
            lambda: any(s.text.startswith("● <b>Volume spike") for s in tg.sent_to(CHAT)), within=15
        )
        stop.set()
        await asyncio.wait_for(task, 15)

    alerts = [s for s in tg.sent_to(CHAT) if s.text.startswith(("▲", "▼", "●"))]
    [spike] = [a for a in alerts if "Volume spike" in a.text]
    lines = spike.text.split("\n")
    assert lines[0] == "● <b>Volume spike</b> · <b>005930.KS</b> 삼성전자 · <b>5-minute bars</b>"
    assert lines[1].endswith("2026-11-23 10:15 KST")  # the 10:10 bar, labelled by its end
    assert "-bar average" in lines[2]
    assert lines[-1] == "No rating yet on 5-minute bars: too little stored history to backtest"
    assert all("5-minute bars" in a.text for a in alerts)  # nothing from the 1m or 15m engines
    # the 5m engine has its own state; the daily engine's was never written
    assert await repos.state.get_state("scheduler.signal_state.5m") is not None
    assert await repos.state.get_state("scheduler.signal_state.1d") is None
    assert await repos.state.get_state("scheduler.signal_state.15m") is None
    events = await repos.events.list_events("005930.KS", limit=100)
    spikes = [e for e in events if e.signal is SignalType.VOLUME_SPIKE and e.interval == Interval.M5]
    assert [e.ts for e in spikes] == [kst(MONDAY, 10, 10, 0)]
    stored = await repos.bars.list_bars("005930.KS", Interval.M5, start=kst(MONDAY, 9, 0, 0))
    assert [b.ts for b in stored][:2] == [kst(MONDAY, 9, 0, 0), kst(MONDAY, 9, 5, 0)]
    assert stored[-1].ts == kst(MONDAY, 10, 15, 0)  # the 10:20 bucket has not closed at 10:21
    assert any("5m: " in d for d in details)
