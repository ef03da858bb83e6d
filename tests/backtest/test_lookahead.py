"""No look-ahead: bars after an event's window never change what is reported about it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from backtest import run_backtest
from core.types import Bar

H = (5, 20, 60)


def altered(bars: list[Bar], after: int) -> list[Bar]:
    """Bars from row `after` + 1 on replaced by a different, still valid path."""
    rng = np.random.default_rng(7)
    out = bars[: after + 1]
    for b, f in zip(bars[after + 1 :], rng.uniform(0.5, 1.5, len(bars) - after - 1), strict=True):
        out.append(
            replace(
                b,
                open=b.open * f,
                high=b.high * f * 1.01,
                low=b.low * f * 0.99,
                close=b.close * f,
                volume=b.volume * (2 - f),
            )
        )
    return out


def test_altering_bars_after_the_windows_changes_nothing_before(goog_bars: list[Bar]) -> None:
    cut = len(goog_bars) - 300
    a = run_backtest({"GOOG": goog_bars}, horizons=H, keep_series=True)
    b = run_backtest({"GOOG": altered(goog_bars, cut)}, horizons=H, keep_series=True)
    sa, sb = a.series["GOOG"], b.series["GOOG"]

    for sig in a.signals:  # events up to the cut are the same ...
        assert np.array_equal(sa.events[sig][: cut + 1], sb.events[sig][: cut + 1]), sig
    assert any(not np.array_equal(sa.events[s], sb.events[s]) for s in a.signals)  # ... and later ones differ

    # every occurrence whose longest window ends at or before the cut is reported identically
    limit = sa.ts[cut - max(H)]
    early_a = [o for o in a.occurrences("GOOG") if o["ts"] <= _iso(limit)]
    early_b = [o for o in b.occurrences("GOOG") if o["ts"] <= _iso(limit)]
    assert len(early_a) > 100
    assert early_a == early_b

    # strategy equity up to the cut depends on bars up to the cut only
    for sig in a.signals:
        n = cut + 1 - sa.start
        assert np.array_equal(sa.equity[sig][:n], sb.equity[sig][:n]), sig
    assert not np.array_equal(sa.buy_hold, sb.buy_hold)


def test_occurrences_agree_with_the_aggregates(goog_bars: list[Bar]) -> None:
    res = run_backtest({"GOOG": goog_bars}, horizons=H, keep_series=True)
    occ = res.occurrences("GOOG")
    for rec in res.records():
        vals = [o[f"return_{rec['horizon']}"] for o in occ if o["signal"] == rec["signal"]]
        full = [v for v in vals if v is not None]
        assert rec["count"] == len(full)
        assert rec["excluded"] == len(vals) - len(full)
        if not full:  # a type that never fired on GOOG (inverse head and shoulders)
            assert rec["mean_return"] is None
            continue
        assert rec["mean_return"] == pytest.approx(float(np.mean(full)), abs=1e-15, rel=0)
        assert rec["median_return"] == pytest.approx(float(np.median(full)), abs=1e-15, rel=0)
        maes = [o[f"mae_{rec['horizon']}"] for o in occ if o["signal"] == rec["signal"]]
        assert rec["worst_mae"] == min(m for m in maes if m is not None)


def _iso(us: np.int64) -> str:
    from backtest.data import us_to_datetime

    return us_to_datetime(int(us)).isoformat()
