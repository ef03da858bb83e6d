"""Per-chat news alerts (issue 8.6): NewsAlerter into the real SQLite outbox, and the /settings toggle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.commands import Env, Request, cmd_settings, set_news_alerts
from bot.news_alerts import NewsAlerter, state_key
from core.ports import NewsPublisher, Repositories
from core.types import Chat, ChatKind, Language, NewsItem, OutboxMessage, QuietMode, Watch
from tests.bot.conftest import Harness
from tests.bot.fakes import INSTRUMENTS, NOW, FakeClock, make_services, make_settings

HOSTILE = NewsItem(
    url='https://example.com/n?a=1&b="x"',
    title="<script>alert(1)</script> EU carbon & <b>KAU</b> rally",
    source="Wire <i>",
    published=NOW - timedelta(minutes=5),
    summary="Prices <rose> & fell",
    symbols=("FCO2.DE", "KAU25"),
)


def item(n: int, symbol: str = "FCO2.DE", published: datetime = NOW) -> NewsItem:
    return NewsItem(
        f"https://example.com/{symbol}/{n}", f"Headline {n}", "Reuters", published, symbols=(symbol,)
    )


async def setup_chats(repos: Repositories, chats: list[tuple[Chat, tuple[str, ...]]]) -> None:
    await repos.instruments.upsert_instruments([INSTRUMENTS["FCO2.DE"], INSTRUMENTS["KAU25"]])
    for chat, symbols in chats:
        await repos.chats.upsert_chat(chat)
        for symbol in symbols:
            await repos.watches.upsert_watch(Watch(chat.chat_id, symbol))


async def pending(
    repos: Repositories, at: datetime = NOW + timedelta(days=1)
) -> dict[int, list[OutboxMessage]]:
    out: dict[int, list[OutboxMessage]] = {}
    for m in await repos.outbox.claim_pending(at, limit=1000):
        out.setdefault(m.chat_id, []).append(m)
    return out


async def test_fans_out_once_to_opted_in_watchers_only(sqlite_repos: Repositories, clock: FakeClock) -> None:
    p = ChatKind.PRIVATE
    await setup_chats(
        sqlite_repos,
        [
            (Chat(1, p, news_alerts=True), ("FCO2.DE",)),
            (Chat(2, p), ("FCO2.DE",)),  # off by default
            (Chat(3, p, news_alerts=True), ()),  # watches nothing
            (Chat(4, p, news_alerts=True, active=False), ("FCO2.DE",)),
            (Chat(5, p, news_alerts=True, language=Language.KO, silent=True), ("KAU25", "FCO2.DE")),
            (Chat(6, ChatKind.CONSOLE, news_alerts=True), ("FCO2.DE",)),
            (Chat(-100, ChatKind.SUPERGROUP, news_alerts=True), ("KAU25",)),
        ],
    )
    alerter: NewsPublisher = NewsAlerter(sqlite_repos, clock=clock)
    unrelated = NewsItem("https://example.com/macro", "Macro", "Reuters", NOW)  # no symbols
    old = item(9, published=NOW - timedelta(days=2))
    assert await alerter.publish_news([HOSTILE, unrelated, old]) == 3
    assert await alerter.publish_news([HOSTILE]) == 0  # the same item again: nothing new
    by_chat = await pending(sqlite_repos)
    assert sorted(by_chat) == [-100, 1, 5]
    assert all(len(msgs) == 1 for msgs in by_chat.values())
    msg = by_chat[1][0]
    assert msg.kind == "news"
    assert msg.dedup_key.startswith("news:")
    assert msg.dedup_key.endswith(":1")
    assert "<script>" not in msg.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; EU carbon &amp; &lt;b&gt;KAU&lt;/b&gt; rally" in msg.text
    assert 'href="https://example.com/n?a=1&amp;b=&quot;x&quot;"' in msg.text
    assert "Wire &lt;i&gt;" in msg.text
    assert "Prices &lt;rose&gt; &amp; fell" in msg.text
    assert "<b>FCO2.DE</b>" in msg.text  # the first of the item's symbols the chat watches
    assert "2026-11-21 08:55 KST" in msg.text
    assert msg.reply_markup == {
        "inline_keyboard": [[{"text": "Turn news alerts off", "callback_data": "na|off"}]]
    }
    ko = by_chat[5][0]
    assert ko.silent
    assert "<b>뉴스</b>" in ko.text
    assert "<b>KAU25</b>" in by_chat[-100][0].text


async def test_rate_limit_per_chat_per_rolling_hour_survives_restarts(
    sqlite_repos: Repositories, clock: FakeClock
) -> None:
    await setup_chats(
        sqlite_repos,
        [
            (Chat(1, ChatKind.PRIVATE, news_alerts=True), ("FCO2.DE",)),
            (Chat(2, ChatKind.PRIVATE, news_alerts=True), ("KAU25",)),
        ],
    )
    alerter = NewsAlerter(sqlite_repos, clock=clock, per_chat_per_hour=3)
    assert await alerter.publish_news([item(i) for i in range(5)] + [item(0, "KAU25")]) == 4
    assert await alerter.publish_news([item(0)]) == 0  # a repeat never uses a slot
    clock.current = NOW + timedelta(minutes=30)
    restarted = NewsAlerter(sqlite_repos, clock=clock, per_chat_per_hour=3)
    assert await restarted.publish_news([item(10, published=clock.current)]) == 0
    assert await restarted.publish_news([item(11, "KAU25", published=clock.current)]) == 1  # chat 2: 2 of 3
    clock.current = NOW + timedelta(minutes=61)
    assert await restarted.publish_news([item(20 + i, published=clock.current) for i in range(4)]) == 3
    by_chat = await pending(sqlite_repos)
    assert len(by_chat[1]) == 6
    assert len(by_chat[2]) == 2
    await sqlite_repos.state.put_state(state_key(1), b"{not json")
    clock.current = NOW + timedelta(minutes=200)
    assert await restarted.publish_news([item(30, published=clock.current)]) == 1  # unreadable counter: reset


async def test_quiet_hours_hold_or_drop_and_held_alerts_count_when_delivered(
    sqlite_repos: Repositories, clock: FakeClock
) -> None:
    p = ChatKind.PRIVATE
    await setup_chats(
        sqlite_repos,
        [
            (Chat(1, p, news_alerts=True, quiet_start=8, quiet_end=10), ("FCO2.DE",)),  # now 09:00 KST
            (
                Chat(2, p, news_alerts=True, quiet_start=8, quiet_end=10, quiet_mode=QuietMode.DROP),
                ("FCO2.DE",),
            ),
        ],
    )
    alerter = NewsAlerter(sqlite_repos, clock=clock, per_chat_per_hour=3)
    assert await alerter.publish_news([item(i) for i in range(4)]) == 3
    end = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 10:00 KST
    assert await pending(sqlite_repos, NOW) == {}
    held = await pending(sqlite_repos, end)
    assert list(held) == [1]
    assert [m.not_before for m in held[1]] == [end, end, end]
    clock.current = end + timedelta(minutes=30)  # the three held ones count from 10:00 KST
    assert await alerter.publish_news([item(10, published=clock.current)]) == 1  # chat 2 only
    now_due = await pending(sqlite_repos, clock.current)
    assert {c: len(m) for c, m in now_due.items()} == {1: 3, 2: 1}
    clock.current = end + timedelta(minutes=61)
    assert await alerter.publish_news([item(11, published=clock.current)]) == 2


async def test_settings_toggle_news_alerts(sqlite_repos: Repositories) -> None:
    env = Env(make_services(sqlite_repos), make_settings(news_alerts_per_hour=4), FakeClock())
    chat = await sqlite_repos.chats.upsert_chat(Chat(7, ChatKind.PRIVATE))
    shown = await cmd_settings(env, Request(chat))
    assert "News alerts: off" in shown.text
    assert shown.buttons == ((("Turn news alerts on", "ns|on"),),)
    saved = await cmd_settings(env, Request(chat, ("news", "ON")))
    assert "News alerts: on" in saved.text
    assert saved.buttons == ((("Turn news alerts off", "ns|off"),),)
    stored = await sqlite_repos.chats.get_chat(7)
    assert stored is not None
    assert stored.news_alerts
    bad = await cmd_settings(env, Request(stored, ("news", "maybe")))
    assert "/settings news on|off" in bad.text
    ko = await set_news_alerts(
        env, Request(Chat(7, ChatKind.PRIVATE, language=Language.KO, news_alerts=True)), False
    )
    assert ko.text == "뉴스 알림을 껐습니다."
    stored = await sqlite_repos.chats.get_chat(7)
    assert stored is not None
    assert not stored.news_alerts
    on = await set_news_alerts(env, Request(stored), True)
    assert "시간당 최대 4건" in on.text
    group = await sqlite_repos.chats.upsert_chat(Chat(-5, ChatKind.GROUP))
    refused = await set_news_alerts(env, Request(group, can_manage=False), True)
    assert "administrators" in refused.text
    stored_group = await sqlite_repos.chats.get_chat(-5)
    assert stored_group is not None
    assert not stored_group.news_alerts


async def test_settings_button_toggles_and_edits_the_message(harness: Harness) -> None:
    [shown] = await harness.say(531, "/settings")
    assert "News alerts: off" in shown.text
    await harness.press(531, "ns|on", message_id=78)
    edit = harness.tg.calls("editMessageText")[-1]
    assert "News alerts: on" in edit.params["text"]
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    chat = await repos.chats.get_chat(531)
    assert chat is not None
    assert chat.news_alerts
