"""/chart SYMBOL 1d|5d 1m|5m|15m: intraday candles from stored bars (5m/15m built from 1m per session),
read part by part; the replies in both languages; the console end to end over a real SQLite database."""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from bot.chart import has_korean_font
from bot.chart_intraday import build_intraday_chart, render_intraday_chart
from bot.commands import Env, Request, cmd_chart
from bot.console import ConsoleChat
from bot.intraday import session_bars
from core.ports import Repositories
from core.types import Bar, Chat, ChatKind, Interval, Language
from market.resample import resample
from tests.bot.fakes import make_services, make_settings

SESSIONS = [date(2026, 11, 30) + timedelta(days=d) for d in (0, 1, 2, 3, 4, 7, 8)]  # Mon..Fri, Mon, Tue


def minute_bars(day: date, symbol: str = "005930.KS") -> list[Bar]:
    """One KRX session of 1m bars: 09:00-15:19 KST continuous, then the 15:30 closing auction alone."""
    open_utc = datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC)  # 09:00 KST
    minutes = [*range(380), 390]
    out = []
    for k, m in enumerate(minutes):
        price = 70_000 + 10 * ((k * 7) % 23) - 5 * (k % 11) + day.day * 50
        out.append(
            Bar(symbol, Interval.M1, open_utc + timedelta(minutes=m), price, price + 40, price - 30,
                price + 10 * (-1) ** k, 1_000 + 37 * (k % 17))
        )  # fmt: skip
    return out


FIVE = [b for d in SESSIONS[-2:] for b in resample(minute_bars(d), Interval.M5)]


def chart(bars: list[Bar], lang: Language = Language.EN) -> Figure:
    city = "Seoul" if lang is Language.EN else "서울"
    return build_intraday_chart(
        bars,
        "005930.KS Samsung Electronics · 1d 5m",
        5,
        lang=lang,
        currency="KRW",
        city=city,
        tz="Asia/Seoul",
    )


def test_one_session_in_kst_with_hour_ticks_and_volume() -> None:
    last = resample(minute_bars(SESSIONS[-1]), Interval.M5)
    fig = chart(last)
    price, volume = fig.axes
    fig.canvas.draw()
    assert fig.get_suptitle() == "005930.KS Samsung Electronics · 1d 5m"
    assert len(last) == 77  # 76 five-minute candles and the closing auction alone
    assert len(volume.patches) == 77 == len(price.patches)
    assert volume.get_xlabel() == "5-minute candles · Seoul time (KST, Asia/Seoul)"
    assert price.get_ylabel() == "Price (KRW)"
    hours = [t.get_text() for t in volume.get_xticklabels()]
    assert hours[0] == "09:00"
    assert "15:00" in hours
    assert price.get_legend() is None  # no SMAs on minutes: nothing to explain


def test_five_sessions_one_tick_and_one_divider_per_session() -> None:
    bars = [b for d in SESSIONS[-5:] for b in resample(minute_bars(d), Interval.M15)]
    fig = build_intraday_chart(bars, "t", 15, currency="KRW", city="Seoul", tz="Asia/Seoul")
    price, volume = fig.axes
    fig.canvas.draw()
    assert len(volume.patches) == len(bars) == 5 * 27
    assert [t.get_text() for t in volume.get_xticklabels()] == [
        "Dec 02",
        "Dec 03",
        "Dec 04",
        "Dec 07",
        "Dec 08",
    ]
    assert len(price.lines) == 4  # dashed lines between the sessions
    assert volume.get_xlabel().startswith("15-minute candles · ")


def test_other_markets_keep_their_own_zone() -> None:
    us = [
        Bar("SPY", Interval.M5, datetime(2026, 12, 4, 14, 30, tzinfo=UTC) + timedelta(minutes=5 * i),
            600, 601, 599, 600.5, 1000)
        for i in range(78)
    ]  # fmt: skip
    fig = build_intraday_chart(us, "SPY", 5, currency="USD", city="New York", tz="America/New_York")
    fig.canvas.draw()
    assert fig.axes[1].get_xlabel() == "5-minute candles · New York time (EST, America/New_York)"
    assert fig.axes[1].get_xticklabels()[0].get_text() == "09:30"


@pytest.mark.skipif(not has_korean_font(), reason="no CJK font: run `make test-deps` (fonts-noto-cjk)")
def test_korean_intraday_chart_speaks_korean() -> None:
    fig = chart(FIVE, Language.KO)
    price, volume = fig.axes
    fig.canvas.draw()
    assert volume.get_xlabel() == "5분봉 · 서울 시간 (KST, Asia/Seoul)"
    assert price.get_ylabel() == "가격 (KRW)"
    assert [t.get_text() for t in volume.get_xticklabels()] == ["12.07", "12.08"]
    png = render_intraday_chart(FIVE, "005930.KS 삼성전자 · 최근 1거래일 · 5분봉", 5, lang=Language.KO)
    assert png.startswith(b"\x89PNG")


async def test_bars_built_from_minutes_per_session(sqlite_repos: Repositories) -> None:
    await sqlite_repos.bars.upsert_bars([b for d in SESSIONS for b in minute_bars(d)])
    one = await session_bars(sqlite_repos.bars, "005930.KS", Interval.M5, 1, "Asia/Seoul")
    assert one == resample(minute_bars(SESSIONS[-1]), Interval.M5)
    five = await session_bars(sqlite_repos.bars, "005930.KS", Interval.M15, 5, "Asia/Seoul")
    assert {b.ts.date() for b in five} == set(SESSIONS[-5:])
    assert len(five) == 5 * 27
    minutes = await session_bars(sqlite_repos.bars, "005930.KS", Interval.M1, 1, "Asia/Seoul")
    assert len(minutes) == 381
    stored = resample(minute_bars(SESSIONS[-1]), Interval.M5)[:10]  # a session's stored 5m bars win
    await sqlite_repos.bars.upsert_bars(stored)
    assert await session_bars(sqlite_repos.bars, "005930.KS", Interval.M5, 1, "Asia/Seoul") == stored
    older = resample(minute_bars(SESSIONS[0]), Interval.M15)  # an old 15m backfill, newer 1m bars
    await sqlite_repos.bars.upsert_bars(older)
    two = await session_bars(sqlite_repos.bars, "005930.KS", Interval.M15, 2, "Asia/Seoul")
    assert {b.ts.date() for b in two} == set(SESSIONS[-2:])
    week = await session_bars(sqlite_repos.bars, "005930.KS", Interval.M15, 7, "Asia/Seoul")
    assert week[:27] == older
    assert len(week) == 7 * 27


async def reply(repos: Repositories, lang: Language, *args: str) -> tuple[str, bytes | None]:
    env = Env(make_services(repos), make_settings(token=""))
    got = await cmd_chart(env, Request(Chat(7, ChatKind.PRIVATE, language=lang), args=args))
    return got.text, got.photo


async def test_golden_replies_in_both_languages(sqlite_repos: Repositories) -> None:
    en, _ = await reply(sqlite_repos, Language.EN, "005930.KS", "1d", "5m")
    assert en == (
        "No intraday bars stored for <b>005930.KS</b> yet. They come from KIS (Korean stocks): set "
        "FINSIGNAL_KIS_APP_KEY and FINSIGNAL_KIS_APP_SECRET, then run "
        "<code>finsignal fetch 005930.KS --interval 5m --days 5</code>; "
        "the live minute job keeps them up to date during the session."
    )
    ko, _ = await reply(sqlite_repos, Language.KO, "005930.KS", "5d", "15m")
    assert ko == (
        "<b>005930.KS</b>의 분봉이 아직 저장되어 있지 않습니다. 분봉은 KIS(국내 주식)에서 받습니다: "
        "FINSIGNAL_KIS_APP_KEY 와 FINSIGNAL_KIS_APP_SECRET 을 설정한 뒤 "
        "<code>finsignal fetch 005930.KS --interval 15m --days 5</code> 를 실행하세요. "
        "장중에는 분봉 수집 작업이 계속 채웁니다."
    )
    await sqlite_repos.bars.upsert_bars(minute_bars(SESSIONS[-1]))
    en, png = await reply(sqlite_repos, Language.EN, "005930.KS", "1d", "5m")
    assert en == "<b>005930.KS</b> Samsung Electronics · last session · 5-minute candles"
    assert png is not None
    assert png.startswith(b"\x89PNG")
    ko, png = await reply(sqlite_repos, Language.KO, "005930.KS", "5D", "15M")
    assert ko == "<b>005930.KS</b> Samsung Electronics · 최근 5거래일 · 15분봉"
    assert png is not None


@pytest.mark.parametrize(
    "args", [("005930.KS", "1d", "3m"), ("005930.KS", "2d", "5m"), ("005930.KS", "1d"), ("005930.KS", "5m"),
             ("005930.KS", "1d", "5m", "x"), ("005930.KS", "6m", "5m")],
)  # fmt: skip
async def test_bad_arguments_get_the_usage(sqlite_repos: Repositories, args: tuple[str, ...]) -> None:
    en, png = await reply(sqlite_repos, Language.EN, *args)
    assert en == "Usage: /chart SYMBOL [3m|6m|1y|5y] · /chart SYMBOL 1d|5d 1m|5m|15m"
    assert png is None
    ko, _ = await reply(sqlite_repos, Language.KO, *args)
    assert ko.startswith("사용법: /chart SYMBOL")


async def test_console_intraday_charts_end_to_end(sqlite_repos: Repositories, tmp_path: Path) -> None:
    await sqlite_repos.bars.upsert_bars([b for d in SESSIONS for b in minute_bars(d)])
    services = make_services(sqlite_repos)
    lines = "/chart 005930.KS 1d 5m\n/chart 005930.KS 5d 15m\n/chart 005930.KS 1d 1m\n/chart FCO2.DE 1d 5m\n"
    lines += "/chart FCO2.DE 6m\n/chart 005930.KS 1d 30m\n/quit\n"
    out = io.StringIO()
    settings = make_settings(token="", data_dir=tmp_path)
    await ConsoleChat(services, settings, stdin=io.StringIO(lines), stdout=out, prompt="").run()
    text = out.getvalue()
    files = sorted(n for n in os.listdir(tmp_path) if n.startswith("chart-") and n.endswith(".png"))
    assert [n.split("-2026")[0] for n in files] == [
        "chart-005930.KS-1d-1m", "chart-005930.KS-1d-5m", "chart-005930.KS-5d-15m", "chart-FCO2.DE-6m"
    ], text  # fmt: skip
    assert "Samsung Electronics · last 5 sessions · 15-minute candles" in text
    assert "No intraday bars stored for FCO2.DE yet" in text
    assert "finsignal fetch FCO2.DE --interval 5m --days 5" in text
    assert "Usage: /chart SYMBOL" in text
