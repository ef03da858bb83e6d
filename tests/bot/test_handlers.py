"""Handler tests: real PTB Application and objects, replies over HTTP to the fake Bot API server."""

from __future__ import annotations

from core.types import ChatKind, Language, Tier
from market import vintage
from tests.bot.conftest import Harness
from tests.bot.fakes import ADMIN_ID


async def test_start_creates_the_chat_in_the_clients_language(harness: Harness) -> None:
    replies = await harness.say(501, "/start", language_code="ko-KR")
    assert len(replies) == 1
    assert "finsignal" in replies[0].text
    assert "시장" in replies[0].text
    chat = await harness.app.bot_data.env.services.repos.chats.get_chat(501)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.language is Language.KO
    assert chat.kind is ChatKind.PRIVATE


async def test_price_answers_from_the_quote_service(harness: Harness) -> None:
    [reply] = await harness.say(502, "/price fco2.de")
    assert "FCO2.DE" in reply.text
    assert "71.25" in reply.text
    assert "Frankfurt" in reply.text
    assert "KST" in reply.text
    assert "yahoo" in reply.text
    assert reply.params["parse_mode"] == "HTML"


async def test_price_usage_and_unknown_symbol(harness: Harness) -> None:
    [usage] = await harness.say(503, "/price")
    assert "Usage: /price SYMBOL" in usage.text
    [extra] = await harness.say(503, "/price FCO2.DE KAU25")
    assert "Usage" in extra.text
    [unknown] = await harness.say(503, "/price FCOX")
    assert "Unknown symbol" in unknown.text
    assert "FCO2.DE" in unknown.text


async def test_price_source_failure_is_a_polite_reply(harness: Harness) -> None:
    harness.app.bot_data.env.services.quotes.failing.add("KAU25")  # type: ignore[union-attr]
    [reply] = await harness.say(504, "/price KAU")
    assert "No price for" in reply.text
    assert "KAU25" in reply.text


async def test_watch_unwatch_and_watchlist_buttons(harness: Harness) -> None:
    [added] = await harness.say(505, "/watch FCO2.DE golden_cross,rsi")
    assert "Watching <b>FCO2.DE</b>" in added.text
    assert "Golden cross" in added.text
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    [watch] = await repos.watches.list_watches(505)
    assert watch.symbol == "FCO2.DE"
    assert len(watch.signals) == 3
    followups = harness.app.bot_data.env.services.followups  # type: ignore[union-attr]
    assert followups.watched_symbols == ["FCO2.DE"]  # rated soon, not at the next daily run
    [listing] = await harness.say(505, "/watchlist")
    assert "FCO2.DE" in listing.text
    buttons = listing.reply_markup["inline_keyboard"]  # type: ignore[index]
    assert buttons[0][0]["callback_data"] == "wu|FCO2.DE"
    [gone] = await harness.say(505, "/unwatch fco2.de")
    assert "Stopped watching" in gone.text
    assert await repos.watches.list_watches(505) == []
    [again] = await harness.say(505, "/unwatch FCO2.DE")
    assert "not watching" in again.text


async def test_watch_rejects_unknown_signal_types_and_enforces_the_limit(harness: Harness) -> None:
    [bad] = await harness.say(506, "/watch FCO2.DE moonshot")
    assert "Unknown signal type" in bad.text
    assert "moonshot" in bad.text
    for sym in ("FCO2.DE", "KAU25", "005930.KS"):
        await harness.say(506, f"/watch {sym}")
    [full] = await harness.say(506, "/watch EUA-AUCTION")
    assert "full (3 symbols)" in full.text
    [same] = await harness.say(506, "/watch KAU25 rsi")  # re-watching an existing one is fine
    assert "Watching" in same.text
    followups = harness.app.bot_data.env.services.followups  # type: ignore[union-attr]
    assert followups.watched_symbols == ["FCO2.DE", "KAU25", "005930.KS", "KAU25"]  # refusals ask nothing


async def test_premium_chats_get_the_larger_watchlist(harness: Harness) -> None:
    for sym in ("FCO2.DE", "KAU25", "005930.KS"):
        await harness.say(507, f"/watch {sym}")
    [ok] = await harness.say(ADMIN_ID, "/premium add 507")
    assert "now premium" in ok.text
    [added] = await harness.say(507, "/watch EUA-AUCTION")
    assert "Watching" in added.text
    chat = await harness.app.bot_data.env.services.repos.chats.get_chat(507)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.tier is Tier.PREMIUM


async def test_callback_button_unwatches_and_edits_the_list(harness: Harness) -> None:
    await harness.say(508, "/watch FCO2.DE")
    await harness.say(508, "/watch KAU25")
    before = len(harness.tg.requests)
    await harness.press(508, "wu|KAU25", message_id=77)
    methods = [r.method for r in harness.tg.requests[before:]]
    assert "answerCallbackQuery" in methods
    assert "editMessageText" in methods
    edit = harness.tg.calls("editMessageText")[-1]
    assert "FCO2.DE" in edit.params["text"]
    assert "KAU25" not in edit.params["text"]
    symbols = [w.symbol for w in await harness.app.bot_data.env.services.repos.watches.list_watches(508)]  # type: ignore[union-attr]
    assert symbols == ["FCO2.DE"]


async def test_mute_button_mutes_one_signal(harness: Harness) -> None:
    await harness.say(509, "/watch FCO2.DE")
    await harness.press(509, "m|FCO2.DE|golden_cross", message_id=78)
    answer = harness.tg.calls("answerCallbackQuery")[-1]
    assert "Muted" in answer.params["text"]
    [watch] = await harness.app.bot_data.env.services.repos.watches.list_watches(509)  # type: ignore[union-attr]
    assert [s.value for s in watch.muted] == ["golden_cross"]


async def test_signals_shows_indicators_events_and_ratings(harness: Harness) -> None:
    [reply] = await harness.say(510, "/signals FCO2.DE")
    assert (
        "Close 71.25 EUR · SMA 50 69.00 · SMA 200 66.50 · RSI 14 61.5 · Volume 1.2M (1.2× 20-day avg)"
        in reply.text
    )
    assert "No recent signals" in reply.text
    assert "No backtest ratings" in reply.text


async def test_chart_sends_a_png(harness: Harness) -> None:
    [photo] = await harness.say(511, "/chart FCO2.DE 3m")
    assert photo.method == "sendPhoto"
    assert isinstance(photo.params["photo"], bytes)
    assert photo.params["photo"].startswith(b"\x89PNG")
    [usage] = await harness.say(511, "/chart FCO2.DE 2w")
    assert "Usage: /chart SYMBOL [3m|6m|1y|5y]" in usage.text


async def test_news_escapes_headlines(harness: Harness) -> None:
    [reply] = await harness.say(512, "/news")
    assert "EU carbon &lt;hits&gt; record &amp; more" in reply.text
    assert 'href="https://example.com/a?x=1&amp;y=2"' in reply.text


async def test_settings_quiet_hours_signals_and_silent(harness: Harness) -> None:
    [shown] = await harness.say(513, "/settings")
    assert "Quiet hours: off" in shown.text
    [saved] = await harness.say(513, "/settings quiet 22-7 drop")
    assert "22:00-07:00" in saved.text
    assert "drop" in saved.text
    await harness.say(513, "/settings signals cross")
    await harness.say(513, "/settings silent on")
    chat = await harness.app.bot_data.env.services.repos.chats.get_chat(513)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.quiet_start == 22
    assert chat.quiet_end == 7
    assert chat.silent
    assert {s.value for s in chat.signals} == {"golden_cross", "death_cross"}
    [bad] = await harness.say(513, "/settings quiet 25-7")
    assert "Usage" in bad.text


async def test_lang_switches_replies(harness: Harness) -> None:
    [reply] = await harness.say(514, "/lang ko")
    assert "한국어" in reply.text
    [usage] = await harness.say(514, "/price")
    assert usage.text.startswith("사용법")
    [bad] = await harness.say(514, "/lang fr")
    assert "/lang ko|en" in bad.text


async def test_dollar_symbols_in_private_messages(harness: Harness) -> None:
    replies = await harness.say(515, "what about $FCO2.DE and $KAU25 today?")
    assert len(replies) == 1
    assert "FCO2.DE" in replies[0].text
    assert "KAU25" in replies[0].text
    group = await harness.say(-1001, "what about $FCO2.DE?", user_id=5)
    assert group == []


async def test_admin_commands_refused_to_others(harness: Harness) -> None:
    for cmd in ("/status", "/broadcast hello", "/backtest FCO2.DE", "/premium add 1"):
        [reply] = await harness.say(516, cmd)
        assert "administrators only" in reply.text


async def test_admin_status_backtest_and_broadcast(harness: Harness) -> None:
    [status] = await harness.say(ADMIN_ID, "/status")
    assert "cpu_percent" in status.text
    assert "outbox_pending" in status.text
    assert "krx: open" in status.text
    [bt] = await harness.say(ADMIN_ID, "/backtest FCO2.DE")
    assert "&lt;b&gt;" in bt.text  # the summary is escaped inside <pre>
    [empty] = await harness.say(ADMIN_ID, "/backtest EUA-AUCTION")
    assert empty.text == (
        "No price history for <b>EUA-AUCTION</b> to backtest yet. Load it with /watch or import-csv."
    )
    await harness.say(520, "/start")
    [queued] = await harness.say(ADMIN_ID, "/broadcast Market <closed> tomorrow")
    assert "Broadcast queued for" in queued.text
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    pending = await repos.outbox.claim_pending(harness.app.bot_data.env.clock.now())  # type: ignore[union-attr]
    assert {m.chat_id for m in pending} >= {520, ADMIN_ID}
    assert all(m.text == "Market &lt;closed&gt; tomorrow" for m in pending)


async def test_group_watchlist_changes_need_a_group_admin(harness: Harness) -> None:
    harness.tg.group_admins[-1002] = {42}
    [refused] = await harness.say(-1002, "/watch FCO2.DE", user_id=41)
    assert "Only the group's administrators" in refused.text
    [ok] = await harness.say(-1002, "/watch FCO2.DE", user_id=42)
    assert "Watching" in ok.text
    [listing] = await harness.say(-1002, "/watchlist", user_id=41)  # reading is open to everyone
    assert "FCO2.DE" in listing.text


async def test_command_rate_limit_per_chat(harness: Harness) -> None:
    replies = []
    for _ in range(23):
        replies += await harness.say(517, "/help")
    texts = [r.text for r in replies]
    assert texts.count("Too many commands. Please wait a minute.") == 1
    assert len(texts) == 21  # 20 answers, then one warning, then silence
    assert await harness.say(518, "/help")  # other chats are not affected


async def test_group_callback_needs_a_group_admin(harness: Harness) -> None:
    harness.tg.group_admins[-1003] = {42}
    await harness.say(-1003, "/watch FCO2.DE", user_id=42)
    await harness.press(-1003, "u|FCO2.DE", user_id=41, message_id=79)
    answer = harness.tg.calls("answerCallbackQuery")[-1]
    assert "Only the group's administrators" in answer.params["text"]
    assert answer.params["show_alert"] == "true"
    assert len(await harness.app.bot_data.env.services.repos.watches.list_watches(-1003)) == 1  # type: ignore[union-attr]


async def test_command_addressed_to_the_bot_by_name_in_a_group(harness: Harness) -> None:
    [reply] = await harness.say(-1004, "/price@finsignal_test_bot FCO2.DE", user_id=5)
    assert "71.25" in reply.text
    assert await harness.say(-1004, "/price@other_bot FCO2.DE", user_id=5) == []


async def test_long_and_odd_messages(harness: Harness) -> None:
    big = "$FCO2.DE " + "$KAU25 " * 1500  # ~10 kB
    [reply] = await harness.say(530, big)
    assert len(reply.text) <= 4096
    assert "FCO2.DE" in reply.text
    assert await harness.say(530, "x" * 10_000) == []  # plain chatter is ignored
    [md] = await harness.say(530, "/watch *FCO2* _x_ [a](http://evil)")
    assert "Unknown signal type" in md.text
    assert "<code>_x_</code>" in md.text
    before = len(harness.tg.requests)
    await harness.feed(
        {
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": {"id": 530, "type": "private", "first_name": "U"},
                "from": {"id": 530, "is_bot": False, "first_name": "U"},
                "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
            }
        }
    )
    assert len(harness.tg.requests) == before  # a photo: nothing to do, no crash


async def test_watch_bare_kau_follows_the_front_vintage_and_unwatch_stops_it(harness: Harness) -> None:
    [added] = await harness.say(515, "/watch kau")
    assert "Watching <b>KAU25</b>" in added.text
    assert "KAU follows the front vintage: KAU25 now" in added.text
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    [listing] = await harness.say(515, "/watchlist")
    assert "<b>KAU25</b> (KAU):" in listing.text
    await harness.say(516, "/watch KAU25")  # an explicit vintage: not a follower
    [explicit] = await harness.say(516, "/watchlist")
    assert "(KAU)" not in explicit.text
    await harness.say(515, "/unwatch KAU25")
    assert await vintage.followed(repos, 515) == {}


async def test_list_is_the_watchlist_and_each_row_button_names_its_symbol(harness: Harness) -> None:
    await harness.say(517, "/watch FCO2.DE")
    await harness.say(517, "/watch KAU25")
    [listing] = await harness.say(517, "/list")
    assert "<b>Watchlist</b> (2/3)" in listing.text
    rows = listing.reply_markup["inline_keyboard"]  # type: ignore[index]
    assert [[b["text"] for b in row] for row in rows] == [
        ["Unwatch FCO2.DE", "Mute FCO2.DE"],
        ["Unwatch KAU25", "Mute KAU25"],
    ]
