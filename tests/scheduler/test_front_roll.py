"""The KAU front vintage rolls: a controllable clock, the stand-in KRX server, the real market service
and scheduler over SQLite; bare-KAU watchers move to the new vintage and hear of it once each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from core.ports import Repositories
from core.types import Chat, ChatKind, Language, Market, SignalType, Watch
from market import MarketData, vintage
from market.resolver import make_instrument
from scheduler import Runtime
from tests.fakes.fake_sources import FakeSources
from tests.fakes.source_payloads import krx_row
from tests.market.conftest import make_settings
from tests.scheduler.fakes import FixedClock, RecordingNotifier, engine_factory

MON, TUE, WED, THU = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)


def after_close(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)  # 15:00 KST, KETS closed at 12:00


@pytest.fixture
def fake() -> AsyncIterator[FakeSources]:
    with FakeSources() as server:
        yield server


async def test_bare_kau_watches_follow_the_front_vintage(
    sqlite_repos: Repositories, fake: FakeSources
) -> None:
    repos = sqlite_repos
    for day, (v25, v26) in {MON: (90_000, 1_000), TUE: (80_000, 2_000)}.items():
        fake.add_krx(
            day,
            [
                krx_row("KAU25", day, 9000, 9100, 8900, 9050, v25),
                krx_row("KAU26", day, 9100, 9200, 9000, 9150, v26),
            ],
        )
    clock = FixedClock(after_close(TUE))
    settings = make_settings(fake)
    md = MarketData(settings, repos, clock=clock)
    rt = Runtime(settings, repos, market=md, notifier=RecordingNotifier(repos), engine_factory=engine_factory,
                 clock=clock)  # fmt: skip
    try:
        await repos.instruments.upsert_instruments([make_instrument("KAU25", Market.KETS)])
        await rt.run_job("finalise_bars.kets")
        assert (await md.resolve("KAU")).symbol == "KAU25"

        # chat 1 (en) and 2 (ko) watch bare KAU; chat 3 watches KAU25 as written
        for chat_id, lang in ((1, Language.EN), (2, Language.KO), (3, Language.EN)):
            await repos.chats.upsert_chat(Chat(chat_id, ChatKind.PRIVATE, language=lang))
        muted = frozenset({SignalType.RSI_OVERSOLD})
        await repos.watches.upsert_watch(Watch(1, "KAU25", muted=muted))
        await vintage.follow(repos, 1, "KAU", "KAU25")
        await repos.watches.upsert_watch(Watch(2, "KAU25"))
        await vintage.follow(repos, 2, "KAU", "KAU25")
        await repos.watches.upsert_watch(Watch(3, "KAU25"))
        assert await rt.roll_fronts() == []  # no change yet

        # the market moves to KAU26
        for day in (WED, THU):
            old = krx_row("KAU25", day, 9000, 9000, 9000, 9000, 500)
            fake.add_krx(day, [old, krx_row("KAU26", day, 9200, 9300, 9100, 9250, 70_000)])
        clock.t = after_close(THU)
        await rt.run_job("finalise_bars.kets")
        clock.t += timedelta(days=1)
        await rt.run_job("finalise_bars.kets")  # again: nothing more to move or tell

        assert [w.symbol for w in await repos.watches.list_watches(1)] == ["KAU26"]
        assert (await repos.watches.list_watches(1))[0].muted == muted  # choices kept
        assert [w.symbol for w in await repos.watches.list_watches(2)] == ["KAU26"]
        assert [w.symbol for w in await repos.watches.list_watches(3)] == ["KAU25"]  # explicit stays
        assert (await md.resolve("KAU")).symbol == "KAU26"  # /price KAU and /chart KAU follow too
        assert await vintage.followed(repos, 1) == {"KAU26": "KAU"}

        pending = await repos.outbox.claim_pending(clock.now() + timedelta(days=1))
        notices = {m.chat_id: m.text for m in pending if m.kind == "notice"}
        assert sorted(notices) == [1, 2]  # one notice per follower, none for chat 3
        assert len([m for m in pending if m.kind == "notice"]) == 2
        assert notices[1].startswith("<b>KAU</b> now follows <b>KAU26</b>, the front vintage (KAU25 before).")
        assert notices[2].startswith("<b>KAU</b>는 이제 최근월물 <b>KAU26</b>을(를) 따릅니다 (이전 KAU25).")
    finally:
        await md.close()
