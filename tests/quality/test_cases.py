"""Each case of issue 27 with a real-looking file (generated: tests/fakes/history.py), one test each."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from backtest import run_backtest
from backtest.pointintime import WalkForward, ratings_as_of
from core.errors import UsageError
from core.quality import QualityRules, clean_bars
from core.types import SignalType
from signals import SignalConfig, SignalEngine
from tests.fakes.history import history, to_bars, write_csv
from tests.quality.helpers import figures, grades, imported, max_t_move

ROWS = history()


@pytest.fixture(scope="module")
def clean_records() -> list[dict[str, object]]:
    return run_backtest({"SYN": to_bars("SYN", ROWS)}).records()


def test_blank_adj_close_cells_are_carried_not_read_as_unadjusted(tmp_path: Path, clean_records) -> None:  # type: ignore[no-untyped-def]
    rows = [dict(r) for r in ROWS]
    for i in (200, 900, 1100):  # before the 2:1 split: a factor of 1.0 would double the price
        rows[i]["Adj Close"] = ""
    bars = imported(write_csv(rows, tmp_path / "SYN.csv"))
    assert sum("adj_factor_filled" in b.flags for b in bars) == 3
    res = run_backtest({"SYN": bars})
    assert grades(res.records()) == grades(clean_records)
    assert max_t_move(res.records(), clean_records) < 0.05
    assert res.quality[0].factor_filled == 0  # stored already repaired (the import applied the rule)


def test_x100_bar_is_held_out_of_indicators_and_returns(tmp_path: Path, clean_records) -> None:  # type: ignore[no-untyped-def]
    rows = [dict(r) for r in ROWS]
    for k in ("Open", "High", "Low", "Close", "Adj Close"):
        rows[1700][k] = float(rows[1700][k]) * 100  # type: ignore[arg-type]
    bars = imported(write_csv(rows, tmp_path / "SYN.csv"))
    assert len(bars) == len(ROWS)  # stored: nothing lost
    assert [b.ts.date().isoformat() for b in bars if "outlier" in b.flags] == [rows[1700]["Date"]]
    assert [b.close for b in bars][1700] == pytest.approx(float(ROWS[1700]["Close"]))  # type: ignore[arg-type]
    res = run_backtest({"SYN": bars})
    assert figures(res.records()) == figures(clean_records)  # a units slip is undone exactly


def test_duplicates_follow_one_policy_on_every_path(tmp_path: Path) -> None:
    rows = [dict(r) for r in ROWS]
    scaled = ("Open", "High", "Low", "Close", "Adj Close")
    dup = {k: (round(float(v) * 1.03, 4) if k in scaled else v) for k, v in rows[2500].items()}  # type: ignore[arg-type]
    rows.insert(2400, dup)  # the other copy comes FIRST in the file
    path = write_csv(rows, tmp_path / "SYN.csv")
    stored = imported(path)
    raw = to_bars("SYN", rows)
    via_import = run_backtest({"SYN": stored}).records()
    via_panel = run_backtest({"SYN": raw}).records()  # the API and the scheduler hand raw bars over
    assert figures(via_import) == figures(via_panel)
    day = raw[2400].ts
    kept = next(b for b in stored if b.ts == day)
    assert kept.close == pytest.approx(float(ROWS[2500]["Close"]))  # type: ignore[arg-type]  # nearest its neighbours
    a, b = SignalEngine(), SignalEngine()
    a.warm_up("SYN", raw)
    b.warm_up("SYN", stored)
    assert a.snapshot("SYN") == b.snapshot("SYN")


def test_a_spike_that_reverts_at_once_is_held_out(tmp_path: Path, clean_records) -> None:  # type: ignore[no-untyped-def]
    rows = [dict(r) for r in ROWS]
    for k in ("Open", "High", "Low", "Close", "Adj Close"):
        rows[1703][k] = float(rows[1703][k]) * 1.7  # type: ignore[arg-type]  # +70% for one day
    bars = imported(write_csv(rows, tmp_path / "SYN.csv"))
    assert [b.ts.date().isoformat() for b in bars if b.flags == "outlier"] == [rows[1703]["Date"]]
    res = run_backtest({"SYN": bars})
    assert res.quality[0].outliers == 1
    assert res.quality[0].details == [
        f"{rows[1703]['Date']}: outlier held out (close {float(rows[1703]['Close']):g})"
    ]
    assert grades(res.records()) == grades(clean_records)
    assert max_t_move(res.records(), clean_records) < 0.2


def test_cents_of_inconsistent_ohlc_are_repaired_not_dropped(tmp_path: Path) -> None:
    rows = [dict(r) for r in ROWS]
    for i in (1500, 2600):
        rows[i]["High"] = round(float(rows[i]["Close"]) - 0.02, 2)  # type: ignore[arg-type]
        rows[i]["Open"] = rows[i]["Close"]
    stored = imported(write_csv(rows, tmp_path / "SYN.csv"))
    assert len(stored) == len(rows)
    assert sum("ohlc_repaired" in b.flags for b in stored) == 2
    raw = to_bars("SYN", rows)
    assert figures(run_backtest({"SYN": stored}).records()) == figures(run_backtest({"SYN": raw}).records())


def test_usage_errors_for_bad_signal_names_and_nonsense_configs() -> None:
    bars = to_bars("SYN", ROWS)
    with pytest.raises(UsageError, match="unknown signal 'bogus'; choose from breakout_200"):
        run_backtest({"SYN": bars}, signals=["bogus"])  # type: ignore[list-item]
    with pytest.raises(UsageError, match="sma_fast < sma_slow"):
        SignalConfig(sma_fast=200, sma_slow=50)
    with pytest.raises(UsageError, match="sma_fast < sma_slow"):
        SignalConfig(sma_fast=50, sma_slow=50)
    with pytest.raises(UsageError, match="rsi_overbought <= 100"):
        SignalConfig(rsi_overbought=120)
    with pytest.raises(UsageError, match="basis"):
        run_backtest({"SYN": bars}, basis="vwap")


def test_close_only_series_runs_without_volume_signals(tmp_path: Path) -> None:
    path = tmp_path / "KAU.csv"
    path.write_text(
        "Date,Price\n" + "".join(f"{r['Date']},{r['Adj Close']}\n" for r in ROWS), encoding="utf-8"
    )
    bars = imported(path, "KAU")
    assert len(bars) == len(ROWS)
    assert all(b.open == b.high == b.low == b.close and b.volume == 0 for b in bars)
    res = run_backtest({"KAU": bars})
    assert res.price_only("KAU")
    spikes = [r for r in res.records() if r["signal"] == "volume_spike"]
    assert spikes
    assert all(r["count"] == 0 and r["note"].startswith("no volume data") for r in spikes)
    assert all(r["note"] == "" for r in res.records() if r["signal"] != "volume_spike")
    assert any(r["grade"] in "ABCDF" for r in res.records())  # the price signals are rated
    rating = next(r for r in res.ratings() if r.signal == SignalType.VOLUME_SPIKE)
    assert rating.params["note"].startswith("no volume data")


def test_forward_returns_from_the_next_open_by_default() -> None:
    bars = to_bars("SYN", ROWS)
    nxt = run_backtest({"SYN": bars}, keep_series=True)
    close = run_backtest({"SYN": bars}, keep_series=True, basis="close")
    assert nxt.params()["basis"] == "next_open"
    occ = nxt.occurrences("SYN")[0]
    s = nxt.series["SYN"]
    t = int(np.searchsorted(s.ts, int(np.datetime64(occ["ts"][:19], "us").astype(np.int64))))
    opens = np.array([b.open * b.adj_factor for b in bars])
    d = occ["direction"]
    assert occ["return_5"] == pytest.approx(d * (s.close[t + 5] / opens[t + 1] - 1.0), rel=1e-12)
    assert figures(nxt.records()) != figures(close.records())


def test_ratings_as_of_t_use_only_windows_that_ended_by_t() -> None:
    bars = to_bars("SYN", ROWS)
    k = 2000
    at = bars[k].ts
    later = [
        replace(b, open=b.open * 3, high=b.high * 3, low=b.low * 3, close=b.close * 3) for b in bars[k + 1 :]
    ]
    a = ratings_as_of("SYN", bars, at)
    b = ratings_as_of("SYN", [*bars[: k + 1], *later], at)
    assert a == b
    assert a
    assert all(r.period_end == at for r in a)
    assert 6.5 < a[0].history_years < 7.0  # 2009-01 .. 2016-09, less the warm-up
    walk = WalkForward({"SYN": bars})
    assert [replace(r, run_at=None) for r in walk.ratings("SYN", at + timedelta(hours=1))] == [
        replace(r, run_at=None) for r in a
    ]
    full = run_backtest({"SYN": bars}).ratings()
    assert [r.count for r in a] != [r.count for r in full]  # the stored rating would have told more


def test_long_gaps_restart_warm_up_and_are_reported() -> None:
    bars = to_bars("SYN", ROWS)
    holed = [*bars[:1200], *bars[1330:]]  # about half a year missing
    res = run_backtest({"SYN": holed}, keep_series=True)
    q = res.quality[0]
    assert len(q.gaps) == 1
    assert q.gaps[0][0] == bars[1199].ts
    s = res.series["SYN"]
    row = int(np.searchsorted(s.ts, int(bars[1330].ts.timestamp() * 1e6)))
    warm = SignalConfig().warmup
    for sig, mask in s.events.items():
        assert not mask[row - 60 : row + warm + 1].any(), sig
    engine = SignalEngine()
    engine.warm_up("SYN", holed)
    assert engine.bars_seen("SYN") == len(bars) - 1330
    cleaned = clean_bars(holed, QualityRules(max_gap_days=365))
    assert cleaned.report.gaps == []
