"""Ratings with risk: holding-period drawdowns, spread of outcomes, return-to-risk, the risk-aware grade."""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from backtest import grade, rating_line, run_backtest
from backtest.study import event_study
from core.types import Bar, Rating, SignalType
from tests.backtest.test_cli import Store, run


def _drawdown(close: list[float], entry: float, d: int) -> float:
    """Brute force: the worst fall of the position's value from its running peak (entry included)."""
    peak, worst = 1.0, 0.0
    for c in close:
        v = 1.0 + d * (c / entry - 1.0)
        peak = max(peak, v)
        worst = min(worst, v / peak - 1.0)
    return max(worst, -1.0)


def test_known_path_drawdown_long_and_short() -> None:
    # one bullish and one bearish signal on bar 1; entry = close (basis close)
    close = np.array([[100.0], [100.0], [110.0], [99.0], [121.0], [120.0]])
    events = {SignalType.GOLDEN_CROSS: np.zeros((6, 1), bool), SignalType.DEATH_CROSS: np.zeros((6, 1), bool)}
    for m in events.values():
        m[1, 0] = True
    st = event_study(close, close, close, events, np.array([0]), (2, 3), threads=1)
    # long: values 1.10, 0.99 -> from the 1.10 peak -10%; at h=3 the 1.21 is a new peak: still -10%
    assert st.dd_median[0, :, 0] == pytest.approx([-0.1, -0.1])
    # short: values 0.90 (-10% from entry), 1.01, then 0.79: from peak 1.01 -> 0.79/1.01 - 1
    assert st.dd_median[1, 0, 0] == pytest.approx(-0.1)
    assert st.dd_worst[1, 1, 0] == pytest.approx(0.79 / 1.01 - 1.0)
    assert np.isnan(st.sd[0, 0, 0])  # one event: no spread


def test_risk_figures_match_brute_force_on_goog(goog_bars: list[Bar]) -> None:
    res = run_backtest({"GOOG": goog_bars}, horizons=(5, 20), keep_series=True, signals=None)
    s = res.series["GOOG"]
    occ = res.occurrences("GOOG")
    checked = 0
    for rec in res.records():
        sig, h = SignalType(rec["signal"]), rec["horizon"]
        rows = [o for o in occ if o["signal"] == sig.value and o[f"return_{h}"] is not None]
        if len(rows) < 2:
            continue
        rets = [o[f"return_{h}"] for o in rows]
        assert rec["sd_return"] == pytest.approx(statistics.stdev(rets), rel=1e-9)
        ts_index = {t: i for i, t in enumerate(s.ts.tolist())}
        dds = []
        for o in rows:
            i = ts_index[int(datetime.fromisoformat(o["ts"]).timestamp() * 1_000_000)]
            assert s.entry is not None
            dds.append(_drawdown(s.close[i + 1 : i + h + 1].tolist(), float(s.entry[i]), o["direction"]))
        assert rec["median_drawdown"] == pytest.approx(statistics.median(dds), rel=1e-9, abs=1e-12)
        assert rec["worst_drawdown"] == pytest.approx(min(dds), rel=1e-9, abs=1e-12)
        if rec["median_drawdown"] < 0:
            assert rec["return_risk"] == pytest.approx(rec["mean_return"] / -rec["median_drawdown"])
        want = grade(rec["count"], rec["t_stat"], return_risk=rec["return_risk"])
        assert rec["grade"] == want
        checked += 1
    assert checked >= 6
    r, rec0 = res.ratings()[0], res.records()[0]
    assert (r.sd_return, r.median_drawdown, r.worst_drawdown, r.return_risk) == tuple(
        rec0[k] for k in ("sd_return", "median_drawdown", "worst_drawdown", "return_risk")
    )


@pytest.mark.parametrize(
    ("t", "rr", "want"),
    [
        (3.5, None, "A"),
        (3.5, 0.25, "A"),
        (3.5, 0.2499, "B"),
        (2.5, 0.1, "C"),
        (1.5, -0.3, "D"),
        (0.5, 0.01, "D"),
        (-2.0, 0.01, "F"),
        (3.5, float("nan"), "A"),
    ],
)
def test_grade_drops_a_letter_when_return_is_small_against_drawdown(
    t: float, rr: float | None, want: str
) -> None:
    assert grade(40, t, return_risk=rr) == want
    assert grade(5, t, return_risk=rr) == "insufficient data"


def test_rating_line_names_the_median_drawdown() -> None:
    base = Rating("X", SignalType.GOLDEN_CROSS, 20, 11, 0.64, 0.02, 0.01, 0.0, 0.02, 2.2, -0.1, "B",
                  datetime(2015, 1, 2, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))  # fmt: skip
    assert rating_line(base) == "20-day hit rate 64% over 10y (n=11), grade B"
    risky = Rating(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, "median_drawdown": -0.0314})
    assert rating_line(risky) == "20-day hit rate 64% over 10y (n=11), grade B, median drawdown -3.1%"
    assert rating_line(risky, "ko") == "20일 적중률 64% (최근 10년, n=11), 등급 B, 최대낙폭 중앙값 -3.1%"


async def test_cli_json_and_text_show_risk(goog_bars: list[Bar], tmp_path: Path) -> None:
    store = Store({"GOOG": goog_bars})
    out = tmp_path / "r.json"
    code, text = await run(store, "GOOG", "--json", str(out))
    assert code == 0, text
    for col in ("med DD", "worst DD", "ret/risk"):
        assert col in text
    records = json.loads(out.read_text())
    rated = [r for r in records if r["count"] >= 2]
    assert rated
    assert all(r["worst_drawdown"] <= r["median_drawdown"] <= 0 for r in rated)
    assert all(r["sd_return"] > 0 for r in rated)
    saved = {(r.signal.value, r.horizon): r for r in store.saved}
    first = rated[0]
    assert saved[(first["signal"], first["horizon"])].median_drawdown == first["median_drawdown"]
