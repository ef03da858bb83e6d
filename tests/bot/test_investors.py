"""/investors: golden texts in both languages, the chart's parts, and the command end to end through the
console chat, the real MarketData and the KIS stand-in."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from bot.console import ConsoleChat
from bot.etf import render_etf
from bot.investors import render_chart, render_text, streak
from core.ports import Repositories
from core.types import EtfHolding, InvestorFlow, Language
from market import MarketData
from tests.bot.fakes import make_services, make_settings
from tests.fakes.fake_kis import FakeKis
from tests.fakes.fake_sources import FakeSources
from tests.market.conftest import FakeClock
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
        services = make_services(sqlite_repos, resolver=md, investor_flows=md)
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


def holding(code: str, name: str, weight: float, day: int = 20) -> EtfHolding:
    return EtfHolding("069500.KS", date(2026, 11, day), code, name, weight)


def test_etf_golden_texts_with_changes() -> None:
    latest = [
        holding("005930", "삼성전자", 31.5),
        holding("000660", "SK하이닉스", 12.25),
        holding("105560", "KB금융", 2.0),
    ]
    previous = [
        holding("005930", "삼성전자", 30.0, 19),
        holding("000660", "SK하이닉스", 12.2, 19),
        holding("055550", "신한지주", 1.9, 19),
    ]
    assert render_etf("KODEX 200", "069500.KS", latest, previous, Language.KO) == (
        "<b>KODEX 200</b> 069500.KS\n"
        "구성 종목 상위 3개 · 2026-11-20 기준\n"
        "1. 삼성전자 (005930) 31.50%\n"
        "2. SK하이닉스 (000660) 12.25%\n"
        "3. KB금융 (105560) 2.00%\n"
        "\n"
        "2026-11-19 대비 변화\n"
        "+ 편입: KB금융 2.00%\n"
        "- 편출: 신한지주 1.90%\n"
        "· 삼성전자 30.00% → 31.50% (+1.50%p)"
    )
    en = render_etf("KODEX 200", "069500.KS", latest, latest, Language.EN)
    assert en.endswith("\n\nNo change since 2026-11-20")
    assert "Top 3 holdings · as of 2026-11-20" in en


async def test_etf_end_to_end_with_yesterdays_snapshot(sqlite_repos: Repositories) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))  # Monday 16:30 KST
    with FakeSources() as fake, FakeKis(rate_per_s=1000, now=clock.now) as kis:
        md = MarketData(market_settings(fake, **kis.settings_overrides()), sqlite_repos, clock=clock)
        friday = [holding("005930", "삼성전자", 28.0), holding("999999", "사라진종목", 1.0)]
        await sqlite_repos.etfs.replace_holdings("069500.KS", date(2026, 11, 20), friday)
        services = make_services(sqlite_repos, resolver=md, etfs=md)
        out = io.StringIO()
        chat = ConsoleChat(
            services,
            make_settings(token=""),
            stdin=io.StringIO("/lang ko\n/etf 069500\n/etf 069500\n"),
            stdout=out,
            prompt="",
        )
        await chat.run()
        await md.close()
    text = out.getvalue()
    assert "구성 종목 상위 10개 · 2026-11-23 기준" in text
    assert "1. 삼성전자 (005930)" in text
    assert "원화현금" not in text  # the cash line has no code
    assert "- 편출: 사라진종목 1.00%" in text
    assert "2026-11-20 대비 변화" in text
    assert kis.calls["FHKST121600C0"] == 1  # today's snapshot fetched once, then read from storage
