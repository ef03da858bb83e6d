"""run_backtest options, bad input and the multi-process path."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from backtest import check_histories, run_backtest
from core.errors import DataError, UsageError
from core.types import Bar, SignalType
from signals import SignalConfig


def test_years_trims_the_study_period_but_warms_up_on_older_bars(goog_bars: list[Bar]) -> None:
    res = run_backtest({"GOOG": goog_bars}, years=3)
    start, end = res.period_start[0], res.period_end[0]
    assert timedelta(days=3 * 365 - 5) <= end - start <= timedelta(days=3 * 365 + 5)
    full = run_backtest({"GOOG": goog_bars}, years=10)
    assert res.records()[0]["count"] < full.records()[0]["count"]


def test_signal_selection_and_keyword_only_options(goog_bars: list[Bar]) -> None:
    res = run_backtest({"GOOG": goog_bars}, signals=[SignalType.GOLDEN_CROSS], horizons=(20, 5, 20))
    assert res.horizons == (5, 20)
    assert [(r["signal"], r["horizon"]) for r in res.records()] == [("golden_cross", 5), ("golden_cross", 20)]
    with pytest.raises(TypeError):
        run_backtest({"GOOG": goog_bars}, SignalConfig())  # type: ignore[misc]


def test_config_changes_the_events(goog_bars: list[Bar]) -> None:
    loose = run_backtest(
        {"GOOG": goog_bars}, config=SignalConfig(volume_multiple=1.5), signals=["volume_spike"]
    )
    strict = run_backtest(
        {"GOOG": goog_bars}, config=SignalConfig(volume_multiple=3.0), signals=["volume_spike"]
    )
    assert loose.records()[0]["count"] > strict.records()[0]["count"]
    assert loose.ratings()[0].params["volume_multiple"] == 1.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizons": ()}, "horizons"),
        ({"horizons": (0, 5)}, "horizons"),
        ({"years": 0}, "years"),
        ({"hold": 0}, "hold"),
        ({"signals": []}, "no signal types"),
        ({"horizons": (5, 5000)}, "horizon 5000 is not shorter"),
    ],
)
def test_bad_options(goog_bars: list[Bar], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run_backtest({"GOOG": goog_bars}, **kwargs)  # type: ignore[arg-type]


def test_bad_histories(goog_bars: list[Bar]) -> None:
    with pytest.raises(UsageError, match="no symbols"):
        run_backtest({})
    with pytest.raises(UsageError, match="only 200 bars, fewer than the 201"):
        run_backtest({"GOOG": goog_bars[:200]})
    assert check_histories({"A": [], "B": goog_bars[:10], "GOOG": goog_bars}).keys() == {"A", "B"}
    broken = [*goog_bars[:-1], replace(goog_bars[-1], close=float("nan"))]
    held = run_backtest({"GOOG": broken})  # the bad bar is held out and reported, not fatal
    assert held.quality[0].invalid == 1
    assert held.quality[0].details == ["2013-03-01: close nan invalid, held out"]
    assert held.records()[0]["data_excluded"] == 1
    with pytest.raises(DataError, match="GOOG: no usable bar"):
        run_backtest({"GOOG": [replace(b, close=-1.0) for b in goog_bars]})
    naive = [*goog_bars[:-1], replace(goog_bars[-1], ts=goog_bars[-1].ts.replace(tzinfo=None))]
    with pytest.raises(DataError, match="naive"):
        run_backtest({"GOOG": naive})
    negative = [replace(goog_bars[0], volume=-1.0), *goog_bars[1:]]
    assert run_backtest({"GOOG": negative}).quality[0].price_repaired == 1  # volume set to 0


def _figures(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in r.items() if not k.startswith("data_")} for r in records]


def test_unsorted_and_duplicated_bars_are_cleaned(goog_bars: list[Bar]) -> None:
    messy = list(reversed(goog_bars)) + goog_bars[:50]
    res = run_backtest({"GOOG": messy})
    assert _figures(res.records()) == _figures(run_backtest({"GOOG": goog_bars}).records())
    assert res.quality[0].duplicates == 50
    assert res.records()[0]["data_excluded"] == 50


def test_adj_factor_is_applied(goog_bars: list[Bar]) -> None:
    halved = [
        replace(b, open=b.open * 2, high=b.high * 2, low=b.low * 2, close=b.close * 2, adj_factor=0.5)
        for b in goog_bars
    ]
    a, b = run_backtest({"GOOG": goog_bars}).records(), run_backtest({"GOOG": halved}).records()
    for ra, rb in zip(a, b, strict=True):
        assert ra["count"] == rb["count"]
        if ra["mean_return"] is None:  # a type that never fired: none either way
            assert rb["mean_return"] is None
            continue
        assert ra["mean_return"] == pytest.approx(rb["mean_return"], rel=1e-9, abs=1e-15)


def synthetic(symbol: str, seed: int, n: int) -> list[Bar]:
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, n)))
    base = datetime_base()
    return [
        Bar(
            symbol,
            "1d",
            base + timedelta(days=i),
            c * 0.999,
            c * 1.01,
            c * 0.99,
            c,  # type: ignore[arg-type]
            float(rng.lognormal(10, 0.6)),
        )
        for i, c in enumerate(close)
    ]


def datetime_base():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2010, 1, 1, tzinfo=UTC)


def test_worker_processes_give_the_same_result() -> None:
    bars = {f"S{i}": synthetic(f"S{i}", i, 700 + 40 * i) for i in range(8)}
    seen: list[int] = []
    one = run_backtest(bars, years=2)
    many = run_backtest(bars, years=2, workers=2, progress=seen.append)
    assert many.symbols == one.symbols
    assert many.records() == one.records()
    assert sum(seen) == 8
    assert len(seen) > 1
