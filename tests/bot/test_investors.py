"""/investors: golden texts in both languages, the chart's parts, and the command end to end through the
console chat, the real MarketData and the KIS stand-in."""

from __future__ import annotations

import io
from datetime import date

from bot.console import ConsoleChat
from bot.investors import render_chart, render_text, streak
from core.ports import Repositories
from core.types import InvestorFlow, Language
from market import MarketData
from tests.bot.fakes import make_services, make_settings
from tests.fakes.fake_kis import FakeKis
from tests.fakes.fake_sources import FakeSources
from tests.market.conftest import make_settings as market_settings


def flow(day: int, foreign: float, inst: float) -> InvestorFlow:
    return InvestorFlow(
        "005930.KS", date(2026, 11, day), 70_000.0, -(foreign + inst) / 7e4, foreign / 7e4, inst / 7e4,
        -(foreign + inst), foreign, inst, "kis",
    )  # fmt: skip


FLOWS = [flow(18, -2.5e9, 1.0e9), flow(19, 12.34e9, -4.5e9), flow(20, 3.0e9, 0.25e9)]


def test_korean_table_in_eok_won_with_totals_and_streak() -> None:
    assert render_text("삼성전자", "005930.KS", FLOWS, Language.KO) == (
        "<b>삼성전자</b> 005930.KS\n"
        "투자자별 순매수 · 최근 3거래일 (억원)\n"
        "<pre>날짜  외국인  기관  개인\n"
        "11-18  -25.0 +10.0 +15.0\n"
        "11-19 +123.4 -45.0 -78.4\n"
        "11-20  +30.0  +2.5 -32.5\n"
        "합계  +128.4 -32.5 -95.9</pre>\n"
        "외국인 2거래일 연속 순매수"
    )


def test_english_table_in_billions() -> None:
    assert render_text("Samsung Electronics", "005930.KS", FLOWS, Language.EN) == (
        "<b>Samsung Electronics</b> 005930.KS\n"
        "Net buying by investor · last 3 sessions (KRW bn)\n"
        "<pre>Date  Foreign Inst. Retail\n"
        "11-18    -2.5  +1.0   +1.5\n"
        "11-19   +12.3  -4.5   -7.8\n"
        "11-20    +3.0  +0.2   -3.2\n"
        "Total   +12.8  -3.2   -9.6</pre>\n"
        "Foreigners net buyers 2 sessions in a row"
    )


def test_streak_counts_back_from_the_latest_session() -> None:
    assert streak(FLOWS) == 2
    assert streak([*FLOWS, flow(23, -1e9, 0)]) == -1
    assert streak([]) == 0


def test_chart_is_a_png_with_a_korean_title() -> None:
    png = render_chart("삼성전자", FLOWS, Language.KO)
    assert png.startswith(b"\x89PNG")
    assert len(png) > 10_000


async def test_investors_end_to_end(sqlite_repos: Repositories) -> None:
    with FakeSources() as fake, FakeKis(rate_per_s=1000) as kis:
        md = MarketData(market_settings(fake, **kis.settings_overrides()), sqlite_repos)
        services = make_services(sqlite_repos, resolver=md, flows=md)
        out = io.StringIO()
        lines = "/investors 005930\n/investors AAPL\n/investors\n/lang ko\n/investors 005930\n"
        chat = ConsoleChat(services, make_settings(token=""), stdin=io.StringIO(lines), stdout=out, prompt="")
        await chat.run()
        await md.close()
    text = out.getvalue()
    assert "Net buying by investor · last 20 sessions (KRW bn)" in text
    assert "Investor flows exist for Korean stocks only." in text
    assert "/investors SYMBOL" in text
    assert "투자자별 순매수 · 최근 20거래일 (억원)" in text
    assert kis.calls["FHKST01010900"] == 2  # fetched once, then read from storage
