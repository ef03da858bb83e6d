"""The live minute-bar updater over a whole KRX session, driven by a controllable clock, with the real
MarketData, the real scheduler runtime and the KIS stand-in on loopback."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.ports import Repositories
from core.types import Chat, ChatKind, Interval, Listing, ListingStatus, Market, Watch
from market import MarketData
from market.resolver import make_instrument
from market.universe import krx_universe
from scheduler import Runtime
from tests.fakes.fake_kis import KST, FakeKis, minute_rows
from tests.fakes.fake_sources import FakeSources
from tests.market.conftest import FakeClock, make_settings
from tests.scheduler.fakes import RecordingNotifier, engine_factory

MONDAY = date(2026, 11, 23)
JOB = "update_minute_bars.krx"


def kst(day: date, hh: int, mm: int, ss: int = 5) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=KST).astimezone(UTC)


def build(
    fake: FakeSources, kis: FakeKis, repos: Repositories, clock: FakeClock
) -> tuple[MarketData, Runtime]:
    settings = make_settings(
        fake, **kis.settings_overrides(kis_rate_per_s=500.0, catch_up_hours=0.0, shutdown_timeout_s=5.0)
    )
    md = MarketData(settings, repos, clock=clock)
    universe = [
        make_instrument("000660.KS", Market.KRX, "SK하이닉스"),
        make_instrument("035420.KS", Market.KRX),
    ]
    etfs = [make_instrument("069500.KS", Market.KRX, "KODEX 200")]
    rt = Runtime(
        settings,
        repos,
        market=md,
        notifier=RecordingNotifier(repos),
        engine_factory=engine_factory,
        clock=clock,
        owner_id="collector",
        universe=universe,
        depth=md,
        etfs=etfs,
    )
    return md, rt


async def test_a_whole_session_minute_by_minute(fake: FakeSources, sqlite_repos: Repositories) -> None:
    clock = FakeClock(kst(MONDAY, 8, 59))
    repos = sqlite_repos
    samsung = make_instrument("005930.KS", Market.KRX, "삼성전자")
    await repos.instruments.upsert_instruments([samsung])
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(1, "005930.KS"))
    with FakeKis(rate_per_s=1000, token_gap_s=0.0, now=clock.now) as kis:
        md, rt = build(fake, kis, repos, clock)
        assert (await rt.run_job(JOB)).outcome == "skipped"  # 08:59: not open yet
        assert sum(kis.calls.values()) == 0
        rounds = 0
        t = kst(MONDAY, 9, 1)
        while t <= kst(MONDAY, 15, 31):
            if t == kst(MONDAY, 12, 1):  # a restart at lunch time: the stored token is used again
                await md.close()
                md, rt = build(fake, kis, repos, clock)
            clock.current = t
            run = await rt.run_job(JOB)
            assert run.outcome == "ok", run.detail
            rounds += 1
            t += timedelta(minutes=10)
        clock.current = kst(MONDAY, 15, 31, 10)  # the round after the close collects the auction bar
        assert (await rt.run_job(JOB)).outcome == "ok"
        clock.current = kst(MONDAY, 15, 35)
        assert (await rt.run_job(JOB)).outcome == "skipped"
        await md.close()
    assert kis.issued == 1
    for symbol in ("005930.KS", "000660.KS", "035420.KS"):
        stored = await repos.bars.list_bars(symbol, Interval.M1)
        bars = [b for b in stored if b.ts.astimezone(KST).date() == MONDAY]  # a first update also
        assert {b.ts.astimezone(KST).date() for b in stored} - {MONDAY}  # loads the days before
        expected = minute_rows(symbol[:6], MONDAY)[::-1]
        assert len(bars) == 381, symbol
        assert [b.close for b in bars] == [float(r["stck_prpr"]) for r in expected]
    # every round pages back only to what the previous one returned: 1 call a symbol a round, plus
    # the first round (09:00-09:01) and the round after the restart, which pages back to 09:00
    # (12:01: 182 minutes in pages of 30 = 7 calls a symbol)
    assert kis.calls["FHKST03010200"] <= 3 * (rounds + 1) + 3 * 7


async def test_watched_symbols_come_first_and_nothing_is_fetched_on_a_holiday(
    fake: FakeSources, sqlite_repos: Repositories
) -> None:
    christmas = date(2026, 12, 25)  # a Friday; KRX is closed
    clock = FakeClock(kst(christmas, 10, 0))
    with FakeKis(rate_per_s=1000, now=clock.now) as kis:
        md, rt = build(fake, kis, sqlite_repos, clock)
        run = await rt.run_job(JOB)
        await md.close()
    assert run.outcome == "skipped"
    assert sum(kis.calls.values()) == 0
    assert kis.issued == 0


def test_the_universe_file_lists_about_a_hundred_korean_stocks() -> None:
    universe = krx_universe()
    assert 95 <= len(universe) <= 110
    assert universe[0].symbol == "005930.KS"
    assert universe[0].name == "삼성전자"
    assert len({i.symbol for i in universe}) == len(universe)
    assert {i.market for i in universe} == {Market.KRX}
    assert any(i.symbol.endswith(".KQ") for i in universe)


async def test_after_the_close_flows_of_watched_stocks_and_etf_holdings_are_kept(
    fake: FakeSources, sqlite_repos: Repositories
) -> None:
    repos = sqlite_repos
    await repos.instruments.upsert_instruments([make_instrument("005930.KS", Market.KRX, "삼성전자")])
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(1, "005930.KS"))
    clock = FakeClock(kst(MONDAY, 16, 10))
    with FakeKis(rate_per_s=1000, now=clock.now) as kis:
        md, rt = build(fake, kis, repos, clock)
        assert "collect_krx_depth" in rt.jobs
        run = await rt.run_job("collect_krx_depth")
        clock.current = kst(MONDAY + timedelta(days=1), 16, 10)
        again = await rt.run_job("collect_krx_depth")
        await md.close()
    assert run.outcome == "ok", run.detail
    assert run.detail.startswith("1 stocks, 1 ETFs, 0 failed, ")
    assert again.outcome == "ok"
    assert len(await repos.flows.list_flows("005930.KS")) == 20
    snapshots = await repos.etfs.list_snapshots("069500.KS", count=5)
    assert [s[0].day for s in snapshots] == [MONDAY + timedelta(days=1), MONDAY]
    assert len(snapshots[0]) == 10  # the cash line is not a holding


async def test_flow_signals_fire_after_the_flows_are_kept_and_only_once(
    fake: FakeSources, sqlite_repos: Repositories
) -> None:
    repos = sqlite_repos
    stocks = [make_instrument(s, Market.KRX) for s in ("005930.KS", "000660.KS", "035420.KS")]
    await repos.instruments.upsert_instruments(stocks)
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    for inst in stocks:
        await repos.watches.upsert_watch(Watch(1, inst.symbol))
    clock = FakeClock(kst(MONDAY, 16, 10))
    with FakeKis(rate_per_s=1000, now=clock.now) as kis:
        kis.net_buyers = {"005930": 5, "000660": 1, "035420": 0}  # streak of 5 / fresh both / both sell
        md, rt = build(fake, kis, repos, clock)
        notifier = rt.notifier
        assert isinstance(notifier, RecordingNotifier)
        run = await rt.run_job("collect_krx_depth")
        again = await rt.run_job("collect_krx_depth")
        await md.close()
    assert run.outcome == "ok", run.detail
    assert run.detail.endswith("2 flow signals")
    got = sorted((e.symbol, e.signal.value, e.ts.date()) for e in notifier.published)
    # at 16:10 KST the stand-in, as KIS, has published Monday's flows (after the 15:30 close)
    assert got == [("000660.KS", "smart_money_buy", MONDAY), ("005930.KS", "foreign_buy_streak", MONDAY)]
    assert again.detail.endswith("0 flow signals")  # stored events are not raised twice
    assert len(notifier.published) == 2


async def test_a_halted_stock_raises_no_flow_signal(fake: FakeSources, sqlite_repos: Repositories) -> None:
    repos = sqlite_repos
    samsung = make_instrument("005930.KS", Market.KRX)
    await repos.instruments.upsert_instruments([samsung])
    await repos.chats.upsert_chat(Chat(1, ChatKind.PRIVATE))
    await repos.watches.upsert_watch(Watch(1, samsung.symbol))
    await repos.listings.upsert_listings(
        [Listing("005930", "삼성전자", "KOSPI", ListingStatus.HALTED, MONDAY)]
    )
    clock = FakeClock(kst(MONDAY, 16, 10))
    with FakeKis(rate_per_s=1000, now=clock.now) as kis:
        kis.net_buyers = {"005930": 5}
        md, rt = build(fake, kis, repos, clock)
        run = await rt.run_job("collect_krx_depth")
        await md.close()
    assert run.detail.endswith("0 flow signals")
    assert await repos.events.list_events("005930.KS") == []
