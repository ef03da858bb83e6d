"""Premium briefings (enqueued per recipient and language) and the /status health report."""

from __future__ import annotations

from datetime import timedelta

from bot.briefing import Briefer
from bot.health import RepoHealth
from core.ports import Repositories
from core.types import (
    Chat,
    ChatKind,
    Interval,
    JobRun,
    Language,
    SignalEvent,
    SignalType,
    SourceHealth,
    Tier,
    Watch,
)
from tests.bot.fakes import INSTRUMENTS, NOW, FakeClock, make_services, make_settings


async def test_briefing_goes_to_the_channel_topic_and_premium_chats(sqlite_repos: Repositories) -> None:
    repos = sqlite_repos
    await repos.instruments.upsert_instruments([INSTRUMENTS["005930.KS"], INSTRUMENTS["FCO2.DE"]])
    await repos.chats.upsert_chat(Chat(41, ChatKind.PRIVATE, tier=Tier.PREMIUM, language=Language.KO))
    await repos.chats.upsert_chat(Chat(42, ChatKind.PRIVATE))  # free: alerts only
    await repos.watches.upsert_watch(Watch(42, "005930.KS"))
    await repos.events.add_events(
        [SignalEvent("FCO2.DE", SignalType.GOLDEN_CROSS, Interval.D1, NOW - timedelta(hours=20), 71, {}, 0.2)]
    )
    quotes = make_services(repos).quotes
    quotes.failing.add("EUA-AUCTION")  # type: ignore[attr-defined]
    services = make_services(repos, quotes=quotes)
    settings = make_settings(premium_channel_id=-100500, premium_topic_id=3)
    briefer = Briefer(services, settings, clock=FakeClock())

    assert await briefer.send_briefing("08:00") == 2
    assert await briefer.send_briefing("08:00") == 0
    assert await briefer.send_briefing("06:30") == 2  # another slot, another briefing
    rows = {(m.chat_id, m.dedup_key): m for m in await repos.outbox.claim_pending(NOW + timedelta(days=1))}
    channel = rows[(-100500, "briefing:2026-11-21:08:00:-100500")]
    assert channel.thread_id == 3
    assert channel.kind == "briefing"
    assert "Samsung" not in channel.text  # names are not needed; symbols are
    assert "005930.KS 100.00 KRW (+2.04%)" in channel.text
    assert "EUA-AUCTION -" in channel.text  # the failing quote is a dash, not a crash
    assert "Golden cross @ 71.00" in channel.text
    assert "EU carbon &lt;hits&gt;" in channel.text
    korean = rows[(41, "briefing:2026-11-21:08:00:41")]
    assert "브리핑" in korean.text
    assert "골든 크로스" in korean.text
    assert korean.thread_id is None
    assert all(chat_id != 42 for chat_id, _ in rows)


async def test_no_recipients_no_briefing(sqlite_repos: Repositories) -> None:
    briefer = Briefer(make_services(sqlite_repos), make_settings(), clock=FakeClock())
    assert await briefer.send_briefing("08:00") == 0


async def test_repo_health_report(sqlite_repos: Repositories) -> None:
    await sqlite_repos.health.record_job_run(JobRun("update_prices", NOW, 1.25, "ok"))
    await sqlite_repos.health.upsert_source_health(SourceHealth("yahoo", "open", 10, 5, 812.0, "timeout"))
    report = await RepoHealth(sqlite_repos).report()
    assert report["outbox_pending"] == 0
    assert report["jobs"]["update_prices"] == "ok at 2026-11-21 09:00 KST in 1.2s"
    assert report["sources"]["yahoo"] == "breaker open, ok 10, failed 5, 812 ms, last error: timeout"
    assert report["process"]["memory"].endswith("MiB")


WEEKLY_EN = """<b>finsignal weekly</b> 2026-11-21 09:00 KST

<b>The week in watched markets</b>
• 005930.KS 65 KRW · week +4.37%

<b>Carbon</b>
• KAU25 65 KRW · week +4.37%
• FCO2.DE 65.23 EUR · week +4.37%
• EUA-AUCTION 65.23 EUR · week +4.37%

<b>Signals of the week, and since</b>
• 11-17 <b>FCO2.DE</b> Golden cross @ 66.00 EUR → 65.23 (-1.17%) ✗
• 11-19 <b>005930.KS</b> RSI overbought @ 70 KRW → 65 (-6.82%) ✓

<b>Top news</b>
• <a href="https://example.com/a?x=1&amp;y=2">EU carbon &lt;hits&gt; record &amp; more</a> · Reuters"""

WEEKLY_KO = """<b>finsignal 주간 브리핑</b> 2026-11-21 09:00 KST

<b>관심 시장의 한 주</b>
• 005930.KS 65 KRW · 주간 +4.37%

<b>탄소 배출권</b>
• KAU25 65 KRW · 주간 +4.37%
• FCO2.DE 65.23 EUR · 주간 +4.37%
• EUA-AUCTION 65.23 EUR · 주간 +4.37%

<b>이번 주 신호와 그 뒤</b>
• 11-17 <b>FCO2.DE</b> 골든 크로스 @ 66.00 EUR → 65.23 (-1.17%) ✗
• 11-19 <b>005930.KS</b> RSI 과매수 @ 70 KRW → 65 (-6.82%) ✓

<b>주요 뉴스</b>
• <a href="https://example.com/a?x=1&amp;y=2">EU carbon &lt;hits&gt; record &amp; more</a> · Reuters"""


async def test_weekly_briefing_golden_in_both_languages(sqlite_repos: Repositories) -> None:
    repos = sqlite_repos
    await repos.instruments.upsert_instruments([INSTRUMENTS["005930.KS"], INSTRUMENTS["FCO2.DE"]])
    await repos.chats.upsert_chat(Chat(41, ChatKind.PRIVATE, tier=Tier.PREMIUM, language=Language.KO))
    await repos.chats.upsert_chat(Chat(43, ChatKind.PRIVATE, tier=Tier.PREMIUM, language=Language.EN))
    await repos.watches.upsert_watch(Watch(41, "005930.KS"))
    await repos.events.add_events(
        [
            SignalEvent(
                "FCO2.DE", SignalType.GOLDEN_CROSS, Interval.D1, NOW - timedelta(days=4), 66.0, {}, 0.2
            ),
            SignalEvent(
                "005930.KS", SignalType.RSI_OVERBOUGHT, Interval.D1, NOW - timedelta(days=2), 70.0, {}, 72
            ),
            SignalEvent(
                "FCO2.DE", SignalType.DEATH_CROSS, Interval.D1, NOW - timedelta(days=9), 60.0, {}, 0.2
            ),
        ]
    )
    briefer = Briefer(make_services(repos), make_settings(premium_channel_id=-100500), clock=FakeClock())
    assert await briefer.send_briefing("weekly") == 3
    assert await briefer.send_briefing("weekly") == 0  # once per ISO week
    rows = {m.chat_id: m for m in await repos.outbox.claim_pending(NOW + timedelta(days=1))}
    assert rows[43].dedup_key == "briefing:2026-W47:weekly:43"
    assert rows[43].text == WEEKLY_EN
    assert rows[41].text == WEEKLY_KO
    assert rows[-100500].text == WEEKLY_EN  # the premium channel, in the default language


async def test_the_briefing_lists_daily_signals_not_minute_bar_ones(sqlite_repos: Repositories) -> None:
    repos = sqlite_repos
    await repos.instruments.upsert_instruments([INSTRUMENTS["005930.KS"], INSTRUMENTS["FCO2.DE"]])
    await repos.chats.upsert_chat(Chat(41, ChatKind.PRIVATE, tier=Tier.PREMIUM))
    minute_events = [
        SignalEvent(
            "005930.KS", SignalType.VOLUME_SPIKE, Interval.M1, NOW - timedelta(minutes=k), 70, {}, 3.0
        )
        for k in range(1, 40)
    ]  # a busy session on 1-minute bars: newer than the daily signal and more than a briefing lists
    daily = SignalEvent(
        "FCO2.DE", SignalType.GOLDEN_CROSS, Interval.D1, NOW - timedelta(hours=20), 71, {}, 0.2
    )
    await repos.events.add_events([daily, *minute_events])
    briefer = Briefer(make_services(repos), make_settings(), clock=FakeClock())
    assert await briefer.send_briefing("08:00") == 1
    [row] = await repos.outbox.claim_pending(NOW + timedelta(days=1))
    assert "Golden cross @ 71.00" in row.text
    assert "Volume spike" not in row.text
