"""Analysis on small hand-made frames with answers computed by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from fundflow import analysis
from tests.fundflow.frames import two_markets


def test_flows_sum_dollar_volume_per_market_and_ignore_series_without_it() -> None:
    flow = analysis.flows(two_markets())
    assert flow["stocks"].tolist() == [100, 90, 80, 70, 60]
    assert flow["bonds"].tolist() == [100, 110, 120, 130, 140]  # GS10 has no dollar volume


def test_shares_and_change() -> None:
    flow = analysis.flows(two_markets())
    share = analysis.shares(flow)
    assert share["stocks"].tolist() == pytest.approx([0.5, 0.45, 0.4, 0.35, 0.3])
    assert share.sum(axis=1).tolist() == pytest.approx([1.0] * 5)
    change = analysis.flow_change(flow)
    assert change["stocks"].iloc[1] == pytest.approx(-0.1)
    assert change["bonds"].iloc[4] == pytest.approx(140 / 130 - 1)


def test_returns_average_price_series_and_leave_yields_out() -> None:
    rets = analysis.returns(two_markets())
    assert rets["stocks"].iloc[1:].tolist() == pytest.approx([0.15, -0.05, 0.0, 0.05])  # (0.1+0.2)/2 ...
    assert rets["bonds"].iloc[1:].tolist() == pytest.approx([0.0, 0.1, 0.0, -0.1])  # TLT only


def test_correlation_matches_numpy() -> None:
    rets = analysis.returns(two_markets())
    corr = analysis.correlation(rets)
    expected = np.corrcoef([0.15, -0.05, 0.0, 0.05], [0.0, 0.1, 0.0, -0.1])[0, 1]
    assert corr.loc["stocks", "bonds"] == pytest.approx(expected)
    assert analysis.correlation(rets, window=3).loc["stocks", "bonds"] == pytest.approx(
        np.corrcoef([-0.05, 0.0, 0.05], [0.1, 0.0, -0.1])[0, 1]
    )


def test_lead_lag_finds_the_shift() -> None:
    a = pd.Series([1.0, 5, 2, 8, 3, 9, 4, 7, 6, 0, 5, 2, 9, 1])
    lag, corr = analysis.lead_lag(a, a.shift(2), max_lag=3)
    assert (lag, corr) == (2, pytest.approx(1.0))
    lag, _ = analysis.lead_lag(a.shift(1), a, max_lag=3)
    assert lag == -1  # the second leads the first


def test_rotations_three_months_in_a_row() -> None:
    share = analysis.shares(analysis.flows(two_markets()))
    events = analysis.rotations(share, months=3)
    assert [(e.month, e.source, e.target) for e in events] == [
        (date(2024, 4, 1), "stocks", "bonds"),
        (date(2024, 5, 1), "stocks", "bonds"),
    ]
    assert events[0].source_change == pytest.approx(0.35 - 0.5)
    assert events[0].target_change == pytest.approx(0.65 - 0.5)
    assert analysis.rotations(share, months=5) == []


def test_a_drift_below_the_threshold_is_not_a_rotation() -> None:
    share = analysis.shares(analysis.flows(two_markets()))
    assert len(analysis.rotations(share, months=3, min_change=0.15)) == 2  # exactly 15 pt moves
    assert analysis.rotations(share, months=3, min_change=0.16) == []


def test_trailing_months_with_a_missing_market_are_left_out() -> None:
    # May: bonds did not report (a failed source); the shares would jump to stocks 100 %
    data = two_markets()
    data = data[~((data["market"] == "bonds") & (data["month"] == date(2024, 5, 1)))]
    flow = analysis.trim_incomplete(analysis.flows(data))
    assert list(flow.index) == [date(2024, m, 1) for m in (1, 2, 3, 4)]
    # a market missing at the start (crypto before its listing) is not trimmed
    assert len(analysis.trim_incomplete(analysis.flows(two_markets()).assign(crypto=[None, 1, 1, 1, 1]))) == 5
