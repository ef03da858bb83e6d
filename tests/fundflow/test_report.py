"""What people read: golden summaries in English and Korean, and the chart's parts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.legend import Legend

from fundflow.report import render_chart, render_text, summarise
from tests.fundflow.frames import frame, two_markets

GOLDEN_EN = """\
# Cross-market fund flows, 2024-01 to 2024-05

Flow proxy = dollar volume traded (price x volume) of each market's ETFs, futures and crypto pairs. \
It shows where trading activity moves, not net money in or out.

Share of the flow proxy in 2024-05 (change over 12 months):
- Bonds: 70.0% (+20.0 pt)
- Stocks: 30.0% (-20.0 pt)

Latest rotations (3 months in a row, one share falling while another rises):
- 2024-05: Stocks -15.0 pt -> Bonds +15.0 pt
- 2024-04: Stocks -15.0 pt -> Bonds +15.0 pt

Strongest return correlation over the last 36 months: Bonds and Stocks (-0.48).
"""

GOLDEN_KO = """\
# 시장 간 자금 흐름, 2024-01 ~ 2024-05

흐름 지표 = 각 시장 ETF·선물·암호화폐 거래쌍의 달러 거래대금(가격 x 거래량). \
순유입·순유출이 아니라 거래 활동이 어디로 옮겨가는지를 보여 줍니다.

2024-05 흐름 지표 비중 (12개월 변화):
- 채권: 70.0% (+20.0%p)
- 주식: 30.0% (-20.0%p)

최근 자금 이동 (3개월 연속 한 시장 비중 하락, 다른 시장 상승):
- 2024-05: 주식 -15.0%p -> 채권 +15.0%p
- 2024-04: 주식 -15.0%p -> 채권 +15.0%p

최근 36개월 수익률 상관이 가장 강한 쌍: 채권·주식 (-0.48).
"""


# corr(stocks, bonds) by hand: returns (.15,-.05,0,.05), (0,.1,0,-.1)
# -> -.01 / sqrt(.021875 * .02) = -0.478
def test_golden_english() -> None:
    assert render_text(summarise(two_markets()), "en") == GOLDEN_EN


def test_golden_korean() -> None:
    assert render_text(summarise(two_markets()), "ko") == GOLDEN_KO


def test_no_data_says_what_to_do() -> None:
    empty = two_markets().iloc[0:0]
    assert "finsignal flows collect" in render_text(summarise(empty), "en")
    assert "finsignal flows collect" in render_text(summarise(empty), "ko")


def test_no_rotation_is_said() -> None:
    flat = frame({("stocks", "SPY", "USD"): [(1, 10)] * 4, ("bonds", "TLT", "USD"): [(1, 10)] * 4})
    assert "- none in the period" in render_text(summarise(flat), "en")


def test_chart_has_its_parts(tmp_path: Path) -> None:
    out = tmp_path / "flows.png"
    fig = render_chart(summarise(two_markets()), out, "en")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shares, heatmap = fig.axes[0], fig.axes[1]
    assert shares.get_title() == "Share of cross-market flow proxy (dollar volume)"
    assert shares.get_ylabel() == "Share of total"
    assert shares.get_xlabel() == "Month"
    legend = shares.get_legend()
    assert isinstance(legend, Legend)
    assert [t.get_text() for t in legend.get_texts()] == ["Stocks", "Bonds"]  # top of the stack first
    assert len(shares.collections) == 2  # one stacked band per market
    fig.canvas.draw()
    assert [t.get_text() for t in shares.get_yticklabels()][-1] == "100%"  # shares read as percent
    assert [t.get_text() for t in shares.texts] == ["Stocks → Bonds", "Stocks → Bonds"]  # 2024-04, -05
    assert len(shares.lines) == 2  # a dotted line at each rotation month
    assert heatmap.get_title() == "Return correlation, last 36 months"
    assert [t.get_text() for t in heatmap.get_xticklabels()] == ["Bonds", "Stocks"]
    cells = sorted(t.get_text() for t in heatmap.texts)
    assert cells == ["-0.48", "-0.48", "1.00", "1.00"]
    assert len(fig.axes) == 3  # the colour bar


def test_chart_in_korean(tmp_path: Path) -> None:
    """Needs a CJK font (fonts-noto-cjk, installed by `make test-deps`); without one the chart is
    drawn in English and this test fails."""
    fig = render_chart(summarise(two_markets()), tmp_path / "ko.png", "ko")
    shares, heatmap = fig.axes[0], fig.axes[1]
    assert shares.get_title() == "시장별 흐름 지표 비중 (달러 거래대금)"
    assert (shares.get_ylabel(), shares.get_xlabel()) == ("전체 대비 비중", "월")
    legend = shares.get_legend()
    assert isinstance(legend, Legend)
    assert [t.get_text() for t in legend.get_texts()] == ["주식", "채권"]
    assert [t.get_text() for t in shares.texts] == ["주식 → 채권", "주식 → 채권"]
    assert heatmap.get_title() == "수익률 상관 (최근 36개월)"
    assert shares.title.get_fontfamily()[0] != "DejaVu Sans"  # a CJK font, not boxes


def test_summary_shares_are_the_analysis_shares() -> None:
    summary = summarise(two_markets())
    assert isinstance(summary.shares, pd.DataFrame)
    assert summary.shares.iloc[-1].to_dict() == {"bonds": 0.7, "stocks": 0.3}
