"""Chats' own alerts (issue 24) checked on new bars against real SQLite and MariaDB: once per crossing,
re-armed past the margin, daily moves intraday against the previous close, RSI on daily closes, and
delivery that never repeats a hit (outbox dedup) even when the same close is handed over twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery import OutboxNotifier
from core.ports import Repositories
from core.types import AlertHit, AlertRule, Bar, Chat, ChatKind, Instrument, Interval, Market, UserAlert
from market.indicators import rsi
from scheduler.user_alerts import UserAlertWatcher
from signals.user_alerts import Margins

SAMSUNG = Instrument("005930.KS", "Samsung Electronics", Market.KRX, "KRW", "Asia/Seoul")
DAY0 = datetime(2026, 11, 2, tzinfo=UTC)


def daily(closes: list[float], start: datetime = DAY0, symbol: str = "005930.KS") -> list[Bar]:
    return [
        Bar(symbol, Interval.D1, start + timedelta(days=i), c, c, c, c, 1000.0) for i, c in enumerate(closes)
    ]


async def setup(repos: Repositories, *alerts: UserAlert) -> list[UserAlert]:
    await repos.chats.upsert_chat(Chat(42, ChatKind.PRIVATE))
    await repos.instruments.upsert_instruments([SAMSUNG])
    return [a for a in [await repos.user_alerts.add_alert(x, limit=20) for x in alerts] if a is not None]


class Recorder:
    def __init__(self) -> None:
        self.hits: list[AlertHit] = []

    async def __call__(self, hits: list[AlertHit]) -> int:
        self.hits += hits
        return len(hits)


async def test_fires_once_per_crossing_and_rearms_past_the_margin(repos: Repositories) -> None:
    [above] = await setup(repos, UserAlert(42, "005930.KS", AlertRule.ABOVE, 80_000))
    watcher = UserAlertWatcher(repos, Margins(price_pct=0.5))
    sent = Recorder()
    # crosses, stays above, dips inside the margin (79,700 > 79,600), dips past it, crosses again
    path = [79_000, 80_100, 81_000, 79_700, 80_200, 79_500, 80_000]
    for bar in daily(path):
        await watcher.deliver({"005930.KS": [bar]}, sent)
    assert [(h.ts.day, h.close) for h in sent.hits] == [(3, 80_100), (8, 80_000)]
    [stored] = await repos.user_alerts.list_alerts(42)
    assert stored.id == above.id
    assert not stored.armed
    assert stored.fired_at is not None


async def test_one_batch_is_stepped_bar_by_bar(repos: Repositories) -> None:
    await setup(repos, UserAlert(42, "005930.KS", AlertRule.BELOW, 70_000))
    sent = Recorder()
    await UserAlertWatcher(repos, Margins()).deliver(
        {"005930.KS": daily([71_000, 69_000, 71_000, 69_500])}, sent
    )
    assert [h.close for h in sent.hits] == [69_000, 69_500]
    [stored] = await repos.user_alerts.list_alerts(42)
    assert not stored.armed


async def test_daily_move_intraday_against_the_previous_close(repos: Repositories) -> None:
    await setup(repos, UserAlert(42, "005930.KS", AlertRule.MOVE, 3))
    await repos.bars.upsert_bars(daily([70_000, 72_000]))  # sessions of 11-02 and 11-03
    today = datetime(2026, 11, 4, 0, 0, tzinfo=UTC)  # 09:00 KST on 11-04
    minutes = [
        Bar("005930.KS", Interval.M1, today + timedelta(minutes=i), c, c, c, c, 10.0)
        for i, c in enumerate([72_500, 73_900, 74_200, 74_500])
    ]
    sent = Recorder()
    await UserAlertWatcher(repos, Margins()).deliver({"005930.KS": minutes}, sent)
    [hit] = sent.hits
    assert hit.interval is Interval.M1
    assert hit.close == 74_200
    assert abs(hit.value - (74_200 / 72_000 - 1) * 100) < 1e-9  # against 11-03, not today's daily bar


async def test_rsi_on_daily_closes(repos: Repositories) -> None:
    closes = [100 + i for i in range(30)]  # a steady rise: RSI 100
    history = daily(closes[:-1])
    await repos.bars.upsert_bars(history)
    await setup(
        repos,
        UserAlert(42, "005930.KS", AlertRule.RSI_ABOVE, 70),
        UserAlert(42, "005930.KS", AlertRule.RSI_BELOW, 30),
    )
    last = daily(closes)[-1]
    sent = Recorder()
    await UserAlertWatcher(repos, Margins()).deliver({"005930.KS": [last]}, sent)
    [hit] = sent.hits
    assert hit.alert.rule is AlertRule.RSI_ABOVE
    assert hit.value == rsi([float(c) for c in closes])


async def test_delivered_once_even_when_the_close_is_handed_over_twice(repos: Repositories) -> None:
    [a, b] = await setup(
        repos,
        UserAlert(42, "005930.KS", AlertRule.ABOVE, 80_000),
        UserAlert(42, "005930.KS", AlertRule.ABOVE, 79_000),
    )
    watcher = UserAlertWatcher(repos, Margins())
    hits, _changes = await watcher.check({"005930.KS": daily([80_500])})
    notifier = OutboxNotifier(repos, digest=True)
    assert await notifier.publish_close([], hits) == 3  # one digest + the two folded rows (skipped)
    assert await notifier.publish_close([], hits) == 0  # a crash before the states were stored
    assert await notifier.publish_close([], hits[:1]) == 0  # a folded hit is never sent on its own
    assert await repos.outbox.count_pending() == 1
    single = OutboxNotifier(repos, digest=False)
    later = [AlertHit(h.alert, h.ts + timedelta(days=1), h.interval, h.close, h.value) for h in hits]
    assert await single.publish_close([], later) == 2
    assert await repos.outbox.count_pending() == 3
    assert {a.id, b.id} == {h.alert.id for h in hits}


async def test_limit_per_chat_and_same_alert_twice(repos: Repositories) -> None:
    await setup(repos)
    first = await repos.user_alerts.add_alert(UserAlert(42, "005930.KS", AlertRule.ABOVE, 1.5), limit=2)
    again = await repos.user_alerts.add_alert(UserAlert(42, "005930.KS", AlertRule.ABOVE, 1.5), limit=2)
    assert first is not None
    assert again is not None
    assert again.id == first.id
    assert await repos.user_alerts.add_alert(UserAlert(42, "005930.KS", AlertRule.MOVE, 2), limit=2)
    assert await repos.user_alerts.add_alert(UserAlert(42, "005930.KS", AlertRule.MOVE, 3), limit=2) is None
    assert first.id is not None
    assert await repos.user_alerts.delete_alert(42, first.id)
    assert not await repos.user_alerts.delete_alert(43, first.id)
    assert [a.level for a in await repos.user_alerts.list_alerts(42)] == [2]
    await repos.chats.set_active(42, False)
    assert await repos.user_alerts.list_for_symbols(["005930.KS"]) == []


async def test_alerts_follow_a_migrated_group(repos: Repositories) -> None:
    await repos.chats.upsert_chat(Chat(-5, ChatKind.GROUP))
    await repos.chats.upsert_chat(Chat(-1005, ChatKind.SUPERGROUP))
    for chat_id, level in ((-5, 1.0), (-5, 2.0), (-1005, 2.0)):
        await repos.user_alerts.add_alert(UserAlert(chat_id, "AAPL", AlertRule.ABOVE, level), limit=20)
    await repos.chats.migrate_chat(-5, -1005)
    assert await repos.user_alerts.list_alerts(-5) == []
    assert sorted(a.level for a in await repos.user_alerts.list_alerts(-1005)) == [1.0, 2.0]


async def test_a_close_of_many_instruments_finds_exactly_the_alerts_on_them(repos: Repositories) -> None:
    """A close asks for every instrument it updated (thousands); only a few have alerts."""
    others = [Instrument(f"S{i:04d}", f"Stock {i}", Market.US, "USD", "America/New_York") for i in range(3)]
    await repos.instruments.upsert_instruments(others)
    await repos.chats.upsert_chat(Chat(7, ChatKind.PRIVATE))
    mine = await setup(
        repos,
        UserAlert(42, "S0002", AlertRule.ABOVE, 10.0),
        UserAlert(42, "005930.KS", AlertRule.BELOW, 50_000.0),
        UserAlert(42, "S0000", AlertRule.MOVE, 3.0),
    )
    theirs = await repos.user_alerts.add_alert(UserAlert(7, "S0001", AlertRule.ABOVE, 1.0), limit=20)
    assert theirs is not None
    assert len(mine) == 3
    await repos.chats.set_active(7, False)  # an inactive chat's alerts are not checked
    asked = [f"S{i:04d}" for i in range(1200)] + ["005930.KS", "NOT.LISTED"]
    found = await repos.user_alerts.list_for_symbols(asked)
    assert found == sorted(mine, key=lambda a: a.id or 0)  # the active chat's, in the order they were set
    for alert in mine:  # each as a query for its symbol alone finds it
        assert await repos.user_alerts.list_for_symbols([alert.symbol]) == [alert]
    assert await repos.user_alerts.list_for_symbols([f"S{i:04d}" for i in range(3, 1200)]) == []
