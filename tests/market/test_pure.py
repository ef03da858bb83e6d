"""Pure parts: validation, resampling, indicators, CSV parsing."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from core.errors import DataError
from core.types import Bar, Interval, Market
from market.calendar import is_trading_day, trading_days
from market.csv_import import parse_csv
from market.indicators import rsi, sma
from market.resample import resample
from market.validate import validate_bars

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)


def bar(day: date, o: float = 10, h: float = 11, low: float = 9, c: float = 10, v: float = 100) -> Bar:
    return Bar("X", Interval.D1, datetime(day.year, day.month, day.day, tzinfo=UTC), o, h, low, c, v)


def check(bars: list[Bar], prev: float | None = None, market: Market = Market.US):  # type: ignore[no-untyped-def]
    return validate_bars(
        bars,
        now=NOW,
        today=date(2026, 11, 20),
        outlier_pct=50.0,
        prev_close=prev,
        is_trading_day=lambda d: is_trading_day(market, d),
    )


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (bar(date(2026, 11, 18), c=-1, low=-2), "invalid price"),
        (bar(date(2026, 11, 18), c=float("nan")), "invalid price"),
        (bar(date(2026, 11, 23)), "future"),
        (bar(date(2026, 11, 21)), "future"),
        (bar(date(2026, 11, 15)), "not a trading day"),  # Sunday
        (bar(date(2026, 11, 26)), "future"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(row: Bar, reason: str) -> None:
    out = check([bar(date(2026, 11, 17)), row])
    assert [b.ts.date() for b in out.kept] == [date(2026, 11, 17)]
    assert len(out.rejected) == 1
    assert reason in out.rejected[0][1]


@pytest.mark.parametrize(
    ("row", "flag", "fixed"),
    [
        (bar(date(2026, 11, 18), h=9.5), "ohlc_repaired", (10, 10, 9, 10, 100)),
        (bar(date(2026, 11, 18), low=10.5), "ohlc_repaired", (10, 11, 10, 10, 100)),
        (bar(date(2026, 11, 18), o=0, low=0), "price_repaired", (10, 11, 10, 10, 100)),
        (bar(date(2026, 11, 18), v=-5), "price_repaired", (10, 11, 9, 10, 0)),
    ],
)
def test_repairable_rows_are_kept_repaired_and_flagged(row: Bar, flag: str, fixed: tuple[float, ...]) -> None:
    out = check([bar(date(2026, 11, 17)), row])
    assert out.rejected == []
    got = out.kept[1]
    assert flag in got.flags
    assert out.repaired == [got]
    assert (got.open, got.high, got.low, got.close, got.volume) == fixed


def test_holiday_rejected_by_exchange_calendar() -> None:
    thanksgiving = date(2025, 11, 27)
    out = check([bar(thanksgiving), bar(date(2025, 11, 28))])
    assert [r for _, r in out.rejected] == ["not a trading day"]
    chuseok = date(2025, 10, 6)
    assert is_trading_day(Market.KETS, chuseok) is False
    assert chuseok not in trading_days(Market.KRX, date(2025, 10, 1), date(2025, 10, 10))
    assert trading_days(Market.EEX, date(2026, 11, 13), date(2026, 11, 16)) == [
        date(2026, 11, 13),
        date(2026, 11, 16),
    ]


def test_duplicates_keep_the_copy_nearest_its_neighbours_and_outliers_are_flagged() -> None:
    d1, d2, d3 = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
    rows = [
        bar(d1, c=10.5, h=11),
        bar(d1),
        bar(d2, o=10, h=17.5, low=10, c=17),  # +70% that reverts at once
        bar(d3, o=10, h=11, low=9, c=10),
    ]
    out = check(rows, prev=10.0)
    assert [r for _, r in out.rejected] == ["duplicate timestamp"]
    assert [b.flags for b in out.kept] == ["", "outlier", ""]
    assert out.kept[0].close == 10  # nearest the stored previous close and the next bar, wherever it stands
    assert out.report.duplicates == 1
    assert out.report.outliers == 1
    # the last bar has no next one to confirm a reversal: held out only beyond a factor of 5
    assert check([bar(d1, o=30, h=31, low=29, c=30)], prev=10.0).kept[0].flags == ""
    assert check([bar(d1, o=59, h=61, low=59, c=60)], prev=10.0).kept[0].flags == "outlier"


def test_units_slips_are_divided_back() -> None:
    d1, d2, d3 = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
    out = check([bar(d1), bar(d2, o=10, h=1001, low=10, c=1000), bar(d3)])
    fixed = out.kept[1]
    assert fixed.flags == "outlier_repaired"
    assert (fixed.open, fixed.high, fixed.low, fixed.close) == (10, 10.01, 10, 10)
    assert out.repaired == [fixed]
    # one new bar x10 against the stored close: no second neighbour confirms a slip, so it is
    # stored as given and flagged (held out of signals) rather than guessed at
    last = check([bar(d1, o=99, h=101, low=99, c=100)], prev=10.0).kept[0]
    assert (last.close, last.flags) == (100, "outlier")


def m1(minute: int, o: float, c: float, v: float = 1.0) -> Bar:
    ts = datetime(2026, 11, 20, 14, 30, tzinfo=UTC) + timedelta(minutes=minute)
    return Bar("X", Interval.M1, ts, o, max(o, c) + 0.5, min(o, c) - 0.5, c, v)


def test_resample_1m_to_5m_and_15m() -> None:
    bars = [m1(i, 100 + i, 100 + i + 0.5, v=i + 1) for i in range(16)]
    five = resample(list(reversed(bars)), Interval.M5)  # order does not matter
    assert [b.ts.minute for b in five] == [30, 35, 40, 45]
    first = five[0]
    assert (first.open, first.close, first.high, first.low) == (100, 104.5, 105.0, 99.5)
    assert first.volume == 1 + 2 + 3 + 4 + 5
    assert first.interval == Interval.M5
    fifteen = resample(bars, Interval.M15)
    assert [b.ts.minute for b in fifteen] == [30, 45]
    assert fifteen[0].volume == sum(range(1, 16))
    assert fifteen[1].volume == 16
    with pytest.raises(ValueError, match="5m or 15m"):
        resample(bars, Interval.D1)


def test_sma_and_wilder_rsi_match_talib() -> None:
    import numpy as np
    import talib

    closes = [100 + 10 * np.sin(i / 7) + i * 0.1 for i in range(300)]
    assert sma(closes, 200) == pytest.approx(float(talib.SMA(np.array(closes), 200)[-1]))
    assert rsi(closes, 14) == pytest.approx(float(talib.RSI(np.array(closes), 14)[-1]))
    assert sma(closes[:10], 200) is None
    assert rsi(closes[:14], 14) is None
    assert rsi([1.0 + i for i in range(20)]) == 100.0


def test_csv_parse(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2026-11-16,10,11,9,10,5,100\n"
        "2026-11-17,10,11,9,abc,5,100\n"
        "17/11/2026,10,11,9,10,5,100\n"
        "\n"
        "2026-11-18,10,11,9,10,,100\n",
        encoding="utf-8",
    )
    bars, problems = parse_csv(path, "X")
    # a blank Adj Close is a missing factor (carried from a neighbour by core.quality), never 1.0
    assert bars[0].adj_factor == 0.5
    assert math.isnan(bars[1].adj_factor)
    assert [line for line, _ in problems] == [3, 4]
    (tmp_path / "bad.csv").write_text("When,Value\n2026-01-01,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing date, close"):
        parse_csv(tmp_path / "bad.csv", "X")
    with pytest.raises(DataError, match="cannot read"):
        parse_csv(tmp_path / "missing.csv", "X")


def test_csv_adjustment_columns_in_other_spellings(tmp_path: Path) -> None:
    """QuantConnect-style files carry AdjFactor/AdjClose: raw prices are kept, the factor stored."""
    path = tmp_path / "aapl.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume,AdjFactor,AdjClose\n"
        "2014-06-06,645.0,650.0,640.0,645.57,1000,0.1395,90.06\n"
        "2014-06-09,92.70,93.88,91.75,93.70,2000,0.9772,91.56\n",
        encoding="utf-8",
    )
    bars, problems = parse_csv(path, "AAPL")
    assert problems == []
    assert bars[0].close == 645.57  # raw, with the 7:1 split jump
    assert bars[0].adj_close == pytest.approx(90.06)
    assert bars[1].adj_close == pytest.approx(91.56)
    only_factor = tmp_path / "f.csv"
    only_factor.write_text(
        "Date,Open,High,Low,Close,Volume,AdjFactor\n2014-06-06,645,650,640,645.57,1,0.1395\n"
    )
    (bar,), _ = parse_csv(only_factor, "AAPL")
    assert bar.adj_close == pytest.approx(645.57 * 0.1395)


def test_rejected_rows_are_summarised_in_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    days = [date(2026, 11, d) for d in range(2, 21)]  # weekdays and weekends of November 2026
    caplog.set_level("WARNING")
    checked = check([bar(d) for d in days])
    weekend = [d for d in days if d.weekday() >= 5]
    assert len(checked.rejected) == len(weekend) >= 4
    [record] = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert record.getMessage() == (
        f"rejected {len(weekend)} bars of X 1d: "
        f"{len(weekend)} not a trading day (2026-11-07, 2026-11-08, 2026-11-14, …)"
    )
