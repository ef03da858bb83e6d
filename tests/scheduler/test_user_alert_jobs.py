"""Own alerts (issue 24) in the scheduler's jobs, on real SQLite and MariaDB: on refreshed quotes where
no minute bars are kept (update_prices), on KRX minute bars where they are (update_minute_bars.krx),
never both; alerted symbols are followed like watched ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery import OutboxNotifier
from core.ports import Repositories
from core.types import (
    AlertRule,
    Bar,
    Chat,
    ChatKind,
    Instrument,
    Interval,
    Language,
    Market,
    Quote,
    UserAlert,
)
from scheduler import Runtime
from tests.scheduler.conftest import make_settings
from tests.scheduler.fakes import FakeMarket, FixedClock, engine_factory, instrument

AAPL = instrument("AAPL")
SAMSUNG = Instrument("005930.KS", "Samsung Electronics", Market.KRX, "KRW", "Asia/Seoul", sources=("kis",))
IN_US_SESSION = datetime(2026, 11, 18, 16, 0, 27, tzinfo=UTC)  # Wed 11:00 New York
IN_KRX_SESSION = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wed 11:00 Seoul


class Quotes:
    def __init__(self, prices: dict[str, float], now: datetime) -> None:
        self.prices, self.now, self.asked = prices, now, list[str]()

    async def quote(self, inst: Instrument) -> tuple[Quote, float]:
        self.asked.append(inst.symbol)
        return Quote(inst.symbol, self.prices[inst.symbol], self.now, "yahoo"), 1.0


async def seed(repos: Repositories) -> None:
    await repos.chats.upsert_chat(Chat(7, ChatKind.PRIVATE, language=Language.KO))
    await repos.instruments.upsert_instruments([AAPL, SAMSUNG])
    for a in (UserAlert(7, "AAPL", AlertRule.ABOVE, 200), UserAlert(7, "005930.KS", AlertRule.ABOVE, 80_000)):
        await repos.user_alerts.add_alert(a, limit=20)


def runtime(repos: Repositories, market: FakeMarket, quotes: Quotes, now: datetime, **kw: object) -> Runtime:
    return Runtime(
        make_settings(**kw),
        repos,
        market=market,
        notifier=OutboxNotifier(repos, clock=FixedClock(now)),
        engine_factory=engine_factory,
        clock=FixedClock(now),
        quotes=quotes,
        owner_id="A",
    )


async def test_alert_on_a_refreshed_quote(repos: Repositories) -> None:
    await seed(repos)
    market = FakeMarket(repos)
    quotes = Quotes({"AAPL": 201.5}, IN_US_SESSION)
    rt = runtime(repos, market, quotes, IN_US_SESSION)
    run = await rt.run_job("update_prices.us")
    assert run.outcome == "ok"
    assert ("quotes", ["AAPL"]) in market.calls  # followed for its alert, though nobody watches it
    [row] = await repos.outbox.claim_pending(IN_US_SESSION + timedelta(hours=1))
    assert row.dedup_key.startswith("ualert:")
    assert row.text.split("\n")[:2] == [
        "🎯 <b>내 알림</b> · <b>AAPL</b> 200.00 USD 이상",
        "현재가 201.50 USD · 2026-11-18 11:01 뉴욕 · 11-19 01:01 KST",
    ]
    await rt.run_job("update_prices.us")  # still above: no second alert
    assert await repos.outbox.count_pending() == 1


async def test_krx_alerts_on_minute_bars_not_quotes(repos: Repositories) -> None:
    await seed(repos)
    market = FakeMarket(repos)
    start = IN_KRX_SESSION - timedelta(minutes=3)
    market.queued["005930.KS"] = [
        Bar("005930.KS", Interval.M1, start + timedelta(minutes=i), c, c, c, c, 100.0)
        for i, c in enumerate([79_800, 80_100, 80_300])
    ]
    quotes = Quotes({"005930.KS": 90_000}, IN_KRX_SESSION)
    rt = runtime(repos, market, quotes, IN_KRX_SESSION, kis_app_key="k", kis_app_secret="s")
    assert (await rt.run_job("update_minute_bars.krx")).outcome == "ok"
    assert ("update", ["005930.KS"]) in market.calls
    [row] = await repos.outbox.claim_pending(IN_KRX_SESSION + timedelta(hours=1))
    assert row.text.split("\n")[1] == "현재가 80,100 KRW · 2026-11-18 10:59 KST"
    await rt.run_job("update_prices.krx")
    assert quotes.asked == []  # minute bars are kept for KRX: quotes are not checked as well
