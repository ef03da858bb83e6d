"""The premium briefing's monthly fund-flow section (issue 22): in the first days of a month, once the
month before is stored, the briefing ends with the fund-flow title and three sentences (golden, ko/en);
otherwise the briefing is the plain one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.flows_briefing import FlowsBriefer
from core.ports import Repositories
from core.settings import load_settings
from core.types import Chat, ChatKind, Language, Tier
from fundflow.digest import FlowsDigests
from tests.bot.fakes import FakeClock, make_services, make_settings
from tests.fundflow.frames import store, two_markets

SECTION_EN = """
<b>Cross-market fund flows</b> · 2024-05
• In 2024-05, Bonds had the largest share of the cross-market flow proxy (dollar volume traded): \
70.0%, +20.0 pt over 12 months.
• Latest rotation: 2024-05, Stocks -15.0 pt while Bonds +15.0 pt over 3 months.
• Strongest return correlation over the last 36 months: Bonds and Stocks (-0.48)."""

SECTION_KO = """
<b>시장 간 자금 흐름</b> · 2024-05
• 2024-05 시장 간 흐름 지표(달러 거래대금) 비중이 가장 큰 시장은 채권입니다: 70.0%, 12개월 변화 +20.0%p.
• 최근 자금 이동: 2024-05, 3개월 동안 주식 -15.0%p, 채권 +15.0%p.
• 최근 36개월 수익률 상관이 가장 강한 쌍은 채권·주식입니다 (-0.48)."""


async def briefings(repos: Repositories, flows_dir: Path, now: datetime) -> dict[int, str]:
    await repos.chats.upsert_chat(Chat(51, ChatKind.PRIVATE, tier=Tier.PREMIUM, language=Language.EN))
    await repos.chats.upsert_chat(Chat(52, ChatKind.PRIVATE, tier=Tier.PREMIUM, language=Language.KO))
    services = make_services(repos, flows=FlowsDigests(load_settings(fundflow_dir=flows_dir)))
    briefer = FlowsBriefer(services, make_settings(fundflow_briefing_days=3), clock=FakeClock(now))
    assert await briefer.send_briefing(f"{now:%H:%M}") == 2
    pending = await repos.outbox.claim_pending(now + timedelta(days=1))
    return {m.chat_id: m.text for m in pending if m.dedup_key.endswith(f"{now:%H:%M}:{m.chat_id}")}


async def test_section_in_the_first_days_of_the_month(sqlite_repos: Repositories, tmp_path: Path) -> None:
    store(two_markets(), tmp_path)
    texts = await briefings(sqlite_repos, tmp_path, datetime(2024, 6, 2, 23, 0, tzinfo=UTC))  # 3 Jun KST
    assert texts[51].endswith(SECTION_EN)
    assert texts[52].endswith(SECTION_KO)
    assert "<b>Top news</b>" in texts[51]  # the usual briefing comes first


async def test_no_section_later_in_the_month_or_without_last_month(
    sqlite_repos: Repositories, tmp_path: Path
) -> None:
    store(two_markets(), tmp_path)
    later = await briefings(sqlite_repos, tmp_path, datetime(2024, 6, 4, 0, 0, tzinfo=UTC))  # 4 Jun KST
    assert "Cross-market fund flows" not in later[51]
    stale = await briefings(sqlite_repos, tmp_path, datetime(2024, 7, 1, 0, 0, tzinfo=UTC))  # June missing
    assert "Cross-market fund flows" not in stale[51]
    assert "시장 간 자금 흐름" not in stale[52]
