"""What chat and API surfaces get: DuckDB answers equal the pandas analysis, golden sentences (en/ko),
the digest with its chart and JSON, cached until a dataset changes, and the lead-lag line."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd

from core.settings import load_settings
from fundflow import analysis, query
from fundflow.digest import FlowsDigests
from fundflow.report import render_text, summarise
from fundflow.sentences import sentences
from tests.fundflow.frames import leading, store, two_markets

SENTENCES_EN = (
    "In 2024-05, Bonds had the largest share of the cross-market flow proxy (dollar volume traded): "
    "70.0%, +20.0 pt over 12 months.",
    "Latest rotation: 2024-05, Stocks -15.0 pt while Bonds +15.0 pt over 3 months.",
    "Strongest return correlation over the last 36 months: Bonds and Stocks (-0.48).",
)
SENTENCES_KO = (
    "2024-05 시장 간 흐름 지표(달러 거래대금) 비중이 가장 큰 시장은 채권입니다: 70.0%, 12개월 변화 +20.0%p.",
    "최근 자금 이동: 2024-05, 3개월 동안 주식 -15.0%p, 채권 +15.0%p.",
    "최근 36개월 수익률 상관이 가장 강한 쌍은 채권·주식입니다 (-0.48).",
)


def test_duckdb_monthly_flows_equal_the_pandas_analysis(tmp_path: Path) -> None:
    data = two_markets()
    store(data, tmp_path)
    by_duckdb = query.monthly_flows(tmp_path)
    pd.testing.assert_frame_equal(by_duckdb, analysis.flows(data), check_names=False)
    # by hand: May 2024 stocks 30 + 30, bonds 140 (GS10 has no dollar volume)
    assert by_duckdb.loc[date(2024, 5, 1)].to_dict() == {"bonds": 140.0, "stocks": 60.0}
    rows = query.rows(tmp_path)
    assert rows is not None
    assert len(rows) == len(data)
    assert list(rows.columns) == [
        "market", "series", "month", "value", "unit", "volume", "dollar_volume", "source", "fetched_at"
    ]  # fmt: skip
    assert query.rows(tmp_path / "none") is None


def test_golden_sentences() -> None:
    summary = summarise(two_markets())
    assert sentences(summary, "en") == SENTENCES_EN
    assert sentences(summary, "ko") == SENTENCES_KO


async def test_digest_chart_json_and_cache(tmp_path: Path) -> None:
    settings = load_settings(fundflow_dir=tmp_path)
    reader = FlowsDigests(settings)
    empty = await reader.digest("en", chart=True)
    assert empty.month is None
    assert empty.chart is None
    assert empty.sentences == ("No fund-flow data yet: an administrator runs `finsignal flows collect`.",)

    store(two_markets(), tmp_path)
    digest = await reader.digest("ko", chart=True)
    assert digest.month == date(2024, 5, 1)
    assert digest.sentences == SENTENCES_KO
    assert digest.chart is not None
    assert digest.chart[:8] == b"\x89PNG\r\n\x1a\n"
    assert digest.data["months"] == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert await reader.digest("ko", chart=True) is digest  # nothing changed: cached
    assert (await reader.digest("xx")).sentences == SENTENCES_EN  # unknown language: English

    path = tmp_path / "stocks.parquet"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert await reader.digest("ko", chart=True) is not digest  # a dataset changed: read again


def test_lead_lag_is_reported() -> None:
    summary = summarise(leading())
    assert summary.lead is not None
    leader, follower, months, corr = summary.lead
    assert (leader, follower, months) == ("stocks", "bonds", 1)
    assert abs(corr - 1.0) < 1e-9  # bonds repeat stocks' returns exactly one month later
    text = render_text(summary, "en")
    assert "Strongest lead-lag of monthly returns: Stocks leads Bonds by 1 month(s) (+1.00)." in text
    assert "선행 주식, 후행 채권, 1개월 시차 (+1.00)." in render_text(summary, "ko")
