"""`/watch SYMBOL 1m|5m|15m`: timeframes of a watch, in the watchlist and in /unwatch (EN and KO)."""

from __future__ import annotations

from core.types import Interval, Language
from tests.bot.conftest import Harness


async def test_watch_on_timeframes_and_unwatch_one_of_them(harness: Harness) -> None:
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    [daily] = await harness.say(601, "/watch samsung")
    assert daily.text.startswith("Watching <b>005930.KS</b> (Samsung Electronics) for:")  # daily: as before
    [added] = await harness.say(601, "/watch 005930.KS 15M rsi")
    assert "Watching <b>005930.KS</b> (Samsung Electronics) on daily, 15-minute bars for:" in added.text
    [watch] = await repos.watches.list_watches(601)
    assert watch.intervals == {Interval.D1, Interval.M15}
    [listing] = await harness.say(601, "/watchlist")
    assert "<b>005930.KS</b> [1d, 15m]:" in listing.text
    [gone] = await harness.say(601, "/unwatch 005930.KS 15m")
    assert gone.text == "Stopped watching <b>005930.KS</b> on 15-minute bars."
    [watch] = await repos.watches.list_watches(601)
    assert watch.intervals == {Interval.D1}
    [again] = await harness.say(601, "/unwatch 005930.KS 5m")
    assert again.text == "You are not watching <b>005930.KS</b> on 5-minute bars."
    [last] = await harness.say(601, "/unwatch 005930.KS 1d")  # the last timeframe: the watch goes
    assert "Stopped watching" in last.text
    assert await repos.watches.list_watches(601) == []


async def test_bad_timeframes_and_intraday_outside_korea_get_clear_answers(harness: Harness) -> None:
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    [bad] = await harness.say(602, "/watch 005930.KS 30m")
    assert bad.text.startswith("Unknown timeframe <code>30m</code>. Use 1m, 5m or 15m")
    [hour] = await harness.say(602, "/unwatch 005930.KS 1h")
    assert "Unknown timeframe <code>1h</code>" in hour.text
    [abroad] = await harness.say(602, "/watch FCO2.DE 5m")
    assert "Korean stocks only" in abroad.text
    assert await repos.watches.list_watches(602) == []  # nothing stored on a refusal


async def test_korean_replies_name_the_timeframe(harness: Harness) -> None:
    await harness.say(603, "/start", language_code="ko")
    repos = harness.app.bot_data.env.services.repos  # type: ignore[union-attr]
    chat = await repos.chats.get_chat(603)
    assert chat is not None
    assert chat.language is Language.KO
    [added] = await harness.say(603, "/watch 005930.KS 5m")
    assert added.text.startswith("<b>005930.KS</b> (Samsung Electronics) 5분봉 감시 시작:")
    [bad] = await harness.say(603, "/watch 005930.KS 2h")
    assert bad.text.startswith("알 수 없는 주기 <code>2h</code>.")
    [gone] = await harness.say(603, "/unwatch 005930.KS 5m")
    assert gone.text == "<b>005930.KS</b> 감시를 중단했습니다."


async def test_a_watch_of_everything_says_so_and_counts_what_can_fire(harness: Harness) -> None:
    """ "All" is not a wall of 18 names: the reply counts the types that can fire for that watch (the
    investor-flow signals only for a Korean stock on daily bars)."""
    [eu] = await harness.say(602, "/watch FCO2.DE")
    assert eu.text.startswith("Watching <b>FCO2.DE</b>")
    assert eu.text.endswith(" for: every signal type (16).")
    [minutes] = await harness.say(603, "/watch 005930.KS 5m")
    assert minutes.text.endswith("on 5-minute bars for: every signal type (16).")
    [daily] = await harness.say(603, "/watch 005930.KS")
    assert daily.text.endswith("on daily, 5-minute bars for: every signal type (18).")
    [some] = await harness.say(602, "/watch FCO2.DE golden_cross foreign_buy_streak")
    assert some.text.endswith("for: Golden cross.")  # a flow signal cannot fire for EU carbon
    await harness.say(604, "/lang ko")
    [ko] = await harness.say(604, "/watch 005930.KS")
    assert ko.text == "<b>005930.KS</b> (Samsung Electronics) 감시 시작: 모든 신호 (18종)."
