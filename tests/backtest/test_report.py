"""Plain-text rendering for the bot and the summary table of large runs."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console

from backtest import BacktestResult, render_text, run_backtest
from backtest.report import summary_table
from core.types import Bar, SignalType


@pytest.fixture(scope="module")
def result(goog_bars: list[Bar]) -> BacktestResult:
    return run_backtest({"GOOG": goog_bars})


def test_render_text_english(result: BacktestResult) -> None:
    text = render_text(result, "GOOG")
    lines = text.splitlines()
    assert lines[0] == "GOOG backtest 2005-06-06..2013-03-01"
    assert len(lines) == 1 + len(SignalType) + 1
    assert "- Golden cross: 20-day: insufficient data over 8y (n=5)" in lines
    assert any(
        line.startswith("- RSI oversold: 20-day hit rate 63% over 8y (n=27), grade ") for line in lines
    )
    assert "- SMA 200 breakout: 20-day hit rate 67% over 8y (n=15), grade C, median drawdown -4.3%" in lines
    assert lines[-1].startswith("best strategy ")
    assert "(buy & hold +185%)" in lines[-1]
    assert len(text) < 1400  # one screen of a chat reply: 16 signal types, risk figures (issue 24)


def test_render_text_korean(result: BacktestResult) -> None:
    text = render_text(result, "GOOG", "ko")
    assert text.startswith("GOOG 백테스트 2005-06-06~2013-03-01")
    assert "- 골든 크로스: 20일 기준: 데이터 부족 (최근 8년, n=5)" in text
    assert "- 200일선 상향 돌파: 20일 적중률 67% (최근 8년, n=15), 등급 C, 최대낙폭 중앙값 -4.3%" in text
    assert "매수 후 보유 +185%" in text


def test_render_text_refuses_unknown_symbol_and_language(result: BacktestResult) -> None:
    with pytest.raises(KeyError):
        render_text(result, "MSFT")
    with pytest.raises(ValueError, match="lang"):
        render_text(result, "GOOG", "fr")


def test_summary_table_ranks_by_t(goog_bars: list[Bar]) -> None:
    bars = {
        f"S{i}": [replace(b, symbol=f"S{i}", close=b.close * (1 + i / 100)) for b in goog_bars]
        for i in range(3)
    }
    res = run_backtest(bars, signals=[SignalType.RSI_OVERBOUGHT, SignalType.VOLUME_SPIKE])
    out = io.StringIO()
    Console(file=out, width=150).print(summary_table(res, limit=5))
    text = out.getvalue()
    assert "top 5 of 18 results by t-statistic" in text
    ts = [float(line.split("│")[7]) for line in text.splitlines() if line.startswith("│")]
    assert ts == sorted(ts, reverse=True)
