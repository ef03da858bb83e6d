"""Pure functions over the stored frame (columns of `fundflow.store.SCHEMA`). No I/O.

What the figures are, honestly: the *flow proxy* of a market is the summed dollar volume (price x
shares traded) of its series that have one (ETFs, futures, crypto pairs). It measures trading
activity, not net money in or out; yields, rates and indices without volume only enter returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

PRICE_UNITS = ("USD", "index", "rate")


def flows(frame: pd.DataFrame) -> pd.DataFrame:
    """Months x markets: summed dollar volume (months with no dollar volume at all are NaN)."""
    rows = frame.dropna(subset=["dollar_volume"])
    table = rows.pivot_table(index="month", columns="market", values="dollar_volume", aggfunc="sum")
    return table.sort_index()


def trim_incomplete(flow: pd.DataFrame, lookback: int = 12) -> pd.DataFrame:
    """Drop the latest months in which fewer markets report than the most that did over the last
    `lookback` months: a source that failed or lags must not show as the others' shares jumping."""
    if flow.empty:
        return flow
    counts = flow.notna().sum(axis=1)
    full = int(counts.tail(lookback).max())
    end = len(flow)
    while end > 1 and counts.iloc[end - 1] < full:
        end -= 1
    return flow.iloc[:end]


def shares(flow: pd.DataFrame) -> pd.DataFrame:
    """Each market's share of the total flow proxy per month (rows sum to 1)."""
    total = flow.sum(axis=1)
    return flow.div(total.where(total > 0), axis=0).fillna(0.0)


def flow_change(flow: pd.DataFrame) -> pd.DataFrame:
    """Month-on-month change of each market's flow proxy (0.1 = +10 %)."""
    return flow.pct_change(fill_method=None)


def returns(frame: pd.DataFrame) -> pd.DataFrame:
    """Months x markets: the mean monthly return of the market's price-like series (not yields)."""
    prices = frame[frame["unit"].isin(PRICE_UNITS)]
    wide = prices.pivot_table(index="month", columns=["market", "series"], values="value").sort_index()
    per_series = wide.pct_change(fill_method=None)
    return per_series.T.groupby(level="market").mean().T


def correlation(rets: pd.DataFrame, window: int | None = None) -> pd.DataFrame:
    """Correlation of monthly returns between markets: all months, or the last `window`."""
    data = rets.tail(window) if window else rets
    return data.corr(min_periods=3)


def lead_lag(a: pd.Series, b: pd.Series, max_lag: int = 3, min_periods: int = 3) -> tuple[int, float]:
    """The lag k in [-max_lag, max_lag] maximising |corr(a shifted by k, b)|: k > 0 means a leads b.
    A lag with fewer than `min_periods` overlapping months is not considered."""
    best = (0, float("nan"))
    for k in range(-max_lag, max_lag + 1):
        c = a.shift(k).corr(b, min_periods=min_periods)
        if pd.notna(c) and (pd.isna(best[1]) or abs(c) > abs(best[1])):
            best = (k, float(c))
    return best


@dataclass(frozen=True, slots=True)
class Rotation:
    """`source` market's share fell and `target`'s rose for `months` months in a row, ending `month`."""

    month: date
    source: str
    target: str
    months: int
    source_change: float  # share points over the run (e.g. -0.04)
    target_change: float


def rotations(share: pd.DataFrame, months: int = 3, min_change: float = 0.01) -> list[Rotation]:
    """Every (month, falling market, rising market) where both runs last at least `months` months and
    both shares moved by at least `min_change` (0.01 = one share point) over the run: a drift of
    hundredths of a point is noise, not a rotation."""
    diff = share.diff()
    falling = (diff < 0).astype(int).rolling(months).sum() == months
    rising = (diff > 0).astype(int).rolling(months).sum() == months
    out: list[Rotation] = []
    for i, month in enumerate(share.index):
        if i < months:
            continue
        for src in share.columns:
            if not falling.iloc[i][src]:
                continue
            for dst in share.columns:
                if dst == src or not rising.iloc[i][dst]:
                    continue
                fell = float(share[src].iloc[i] - share[src].iloc[i - months])
                rose = float(share[dst].iloc[i] - share[dst].iloc[i - months])
                if -fell >= min_change - 1e-12 and rose >= min_change - 1e-12:
                    out.append(Rotation(month, str(src), str(dst), months, fell, rose))
    return out
