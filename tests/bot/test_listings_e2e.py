"""End to end (issue 21): the real bot long-polling the fake Bot API while the real scheduler runtime
refreshes the KRX listing from its stand-in and fires flow signals: a delisted stock's watcher is
told once (in the chat's language) and its watch ends; a halted stock raises no signal and /price
says it is halted, while a trading one still alerts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.app import build_application, run_application
from bot.delivery import OutboxNotifier
from bot.views import to_plain
from core.ports import Repositories
from core.types import Instrument, InvestorFlow, Listing, ListingStatus, Market, Watch
from market import MarketData
from scheduler import Runtime
from scheduler import depth as krx_depth
from tests.bot.fakes import make_services, make_settings
from tests.fakes.fake_krx_data import FakeKrxData
from tests.fakes.fake_telegram import FakeTelegram
from tests.scheduler.fakes import FakeMarket, engine_factory

SAMSUNG = Instrument("005930.KS", "Samsung Electronics", Market.KRX, "KRW", "Asia/Seoul")
HYNIX = Instrument("000660.KS", "SK하이닉스", Market.KRX, "KRW", "Asia/Seoul")
OTHERS = [(f"{k:06d}", f"종목{k}", "KOSPI") for k in range(1, 11)]
THURSDAY, FRIDAY = date(2026, 12, 3), date(2026, 12, 4)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.t = now

    def now(self) -> datetime:
        return self.t


World = tuple[FakeTelegram, FakeKrxData, Runtime, Clock]


@pytest.fixture
async def world(
    sqlite_repos: Repositories,
) -> AsyncIterator[tuple[FakeTelegram, FakeKrxData, Runtime, Clock]]:
    clock = Clock(datetime(2026, 12, 3, 23, 30, tzinfo=UTC))  # Friday 08:30 KST
    async with FakeTelegram() as tg:
        with FakeKrxData() as krx:
            settings = make_settings(tg.base_url, token=tg.token, krx_listing_base_url=krx.url)
            app = build_application(settings, make_services(sqlite_repos), sender_options={"idle_s": 0.05})
            stop = asyncio.Event()
            task = asyncio.create_task(run_application(app, settings, stop, poll_timeout=1))
            await tg.wait_for(lambda: tg.calls("getUpdates"))
            md = MarketData(settings, sqlite_repos, clock=clock)
            rt = Runtime(
                settings,
                sqlite_repos,
                market=FakeMarket(sqlite_repos),
                notifier=OutboxNotifier(sqlite_repos),
                engine_factory=engine_factory,
                clock=clock,
                owner_id="e2e",
                depth=md,
            )
            yield tg, krx, rt, clock
            await md.close()
            stop.set()
            await asyncio.wait_for(task, 15)
            assert tg.violations == []


async def _watching(tg: FakeTelegram, repos: Repositories, chat_id: int, lang: str, *symbols: str) -> None:
    tg.push_message(chat_id, "/start", language_code=lang)
    await tg.wait_for(lambda: len(tg.sent_to(chat_id)) >= 1)
    await repos.instruments.upsert_instruments([SAMSUNG, HYNIX])
    for s in symbols:
        await repos.watches.upsert_watch(Watch(chat_id, s))


async def test_a_delisted_stock_ends_its_watches_and_tells_each_watcher_once(
    world: World, sqlite_repos: Repositories
) -> None:
    tg, krx, rt, clock = world
    repos = sqlite_repos
    await _watching(tg, repos, 2001, "en", "000660.KS", "005930.KS")
    await _watching(tg, repos, 2002, "ko", "000660.KS")
    krx.set_listing(THURSDAY, [*OTHERS, ("005930", "삼성전자", "KOSPI"), ("000660", "SK하이닉스", "KOSPI")])
    first = await rt.run_job("refresh_listings")
    assert first.outcome == "ok", first.detail
    krx.set_listing(FRIDAY, [*OTHERS, ("005930", "삼성전자", "KOSPI")])  # SK hynix gone on Friday
    run = await rt.run_job("refresh_listings")
    assert run.detail.endswith("1 delisted, 0 halted, 0 resumed, 2 watchers told"), run.detail
    await tg.wait_for(lambda: len(tg.sent_to(2001)) == 2 and len(tg.sent_to(2002)) == 2)
    assert tg.sent_to(2001)[1].text == (  # English name from the catalogue, Korean from the listing
        "<b>000660.KS</b> SK hynix was delisted from KRX on 2026-12-04. "
        "It is no longer collected and your watch of it has ended."
    )
    assert tg.sent_to(2002)[1].text == (
        "<b>000660.KS</b> SK하이닉스이(가) 2026-12-04에 상장폐지되었습니다. "
        "더 이상 수집하지 않으며 이 종목의 감시가 종료되었습니다."
    )
    assert [w.symbol for w in await repos.watches.list_watches(2001)] == ["005930.KS"]
    assert await repos.watches.list_watches(2002) == []
    hynix = await repos.instruments.get_instrument("000660.KS")
    assert hynix is not None
    assert not hynix.active  # no longer collected
    clock.t += timedelta(days=1)
    again = await rt.run_job("refresh_listings")  # the same file again: nobody told twice
    assert again.detail.endswith("0 delisted, 0 halted, 0 resumed, 0 watchers told"), again.detail
    await asyncio.sleep(0.5)
    assert len(tg.sent_to(2001)) == len(tg.sent_to(2002)) == 2


def _streak(symbol: str, end: date, n: int) -> list[InvestorFlow]:
    days = [end - timedelta(days=k) for k in range(n + 1)][::-1]
    return [
        InvestorFlow(symbol, d, 70_000.0, 0, 10.0 if k else -10.0, 0, 0, 1e9 if k else -1e9, 1e8)
        for k, d in enumerate(days)
    ]


async def test_a_halted_stock_raises_no_signal_and_price_says_halted(
    world: World, sqlite_repos: Repositories
) -> None:
    tg, _krx, rt, _clock = world
    repos = sqlite_repos
    await _watching(tg, repos, 2003, "en", "005930.KS", "000660.KS")
    await repos.listings.upsert_listings(
        [
            Listing("005930", "삼성전자", "KOSPI", ListingStatus.HALTED, FRIDAY),
            Listing("000660", "SK하이닉스", "KOSPI", ListingStatus.LISTED, THURSDAY),
        ]
    )
    n = rt.settings.foreign_streak_days
    await repos.flows.upsert_flows([*_streak("005930.KS", FRIDAY, n), *_streak("000660.KS", FRIDAY, n)])
    fired = await krx_depth.fire_flow_signals(rt, [SAMSUNG, HYNIX])
    assert fired == 1
    await tg.wait_for(lambda: len(tg.sent_to(2003)) == 2)
    assert to_plain(tg.sent_to(2003)[1].text).split("\n") == [
        "▲ Foreign buying streak · 000660.KS SK하이닉스",
        "Close 70,000 KRW · 2026-12-04 close 15:30 KST",
        "Foreigners net buyers 5 sessions in a row (today KRW +1.0bn)",
    ]
    assert await repos.events.list_events("005930.KS") == []
    tg.push_message(2003, "/price 005930.KS")
    await tg.wait_for(lambda: len(tg.sent_to(2003)) == 3)
    assert "Trading halted: no signals until trading resumes" in tg.sent_to(2003)[2].text
    await asyncio.sleep(0.3)
    assert len(tg.sent_to(2003)) == 3  # no late alert of the halted stock
