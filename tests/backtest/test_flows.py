"""The flow signals are rated like every other: flows joined to bars by session date, same event study."""

from __future__ import annotations

import numpy as np

from backtest import run_backtest
from core.types import PRICE_SIGNALS, Bar, InvestorFlow, SignalType
from signals import SignalConfig

STREAK, SMART = SignalType.FOREIGN_BUY_STREAK, SignalType.SMART_MONEY_BUY


def _oracle_flows(bars: list[Bar], ahead: int) -> list[InvestorFlow]:
    """Foreigners 'know' the close `ahead` sessions later: they net buy exactly when it is higher."""
    closes = [b.close for b in bars]
    out = []
    for k, b in enumerate(bars[:-ahead]):
        foreign = (closes[k + ahead] - closes[k]) * 1e9 or -1.0
        inst = 1e9 if k % 3 else -1e9
        out.append(InvestorFlow("GOOG", b.ts.date(), b.close, 0, 0, 0, -foreign - inst, foreign, inst))
    return out


def _rec(result: object, signal: SignalType, horizon: int) -> dict[str, object]:
    records = result.records()  # type: ignore[attr-defined]
    return next(r for r in records if r["signal"] == signal.value and r["horizon"] == horizon)


def test_flow_signals_are_rated_on_the_rows_of_their_sessions(goog_bars: list[Bar]) -> None:
    flows = _oracle_flows(goog_bars, ahead=5)
    cfg = SignalConfig(foreign_streak_days=3)
    res = run_backtest({"GOOG": goog_bars}, config=cfg, horizons=(5,), years=20, basis="close",
                       flows={"GOOG": flows}, signals=[STREAK, SMART])  # fmt: skip
    streak = _rec(res, STREAK, 5)
    # a one-session misalignment between flows and bars would break this: every streak day is
    # followed by a higher close 5 sessions later
    assert streak["count"] > 20
    assert streak["hit_rate"] == 1.0
    smart = _rec(res, SMART, 5)
    assert smart["count"] > 20
    assert smart["hit_rate"] == 1.0
    # the count equals the rule applied by hand over the study period
    f = np.array([fl.foreign_value for fl in flows])
    run = 0
    fired = []
    for v in f:
        run = run + 1 if v > 0 else 0
        fired.append(run == 3)
    first = 200  # warm-up rows (SMA 200 + 1) before the study period starts
    assert streak["count"] + streak["excluded"] == sum(fired[first:])


def test_without_flows_the_flow_signals_never_fire(goog_bars: list[Bar]) -> None:
    plain = run_backtest({"GOOG": goog_bars}, horizons=(5,), years=20)
    assert {r["signal"] for r in plain.records()} == {s.value for s in PRICE_SIGNALS}  # not asked for
    res = run_backtest({"GOOG": goog_bars}, horizons=(5,), years=20, signals=list(SignalType))
    assert {r["signal"] for r in res.records()} == {s.value for s in SignalType}
    assert _rec(res, STREAK, 5)["count"] == 0
    assert _rec(res, SMART, 5)["count"] == 0
