"""Strategy view on hand-made series whose answers are worked out by hand."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from backtest.strategy import buy_and_hold, simulate

OPEN = np.array([10.0, 10.5, 11.5, 12.5, 13.0, 12.0, 11.0, 10.0, 10.0, 10.0])
CLOSE = np.array([10.0, 11.0, 10.0, 13.0, 12.0, 11.0, 10.0, 10.0, 10.0, 10.0])


def mask(*rows: int) -> np.ndarray:
    out = np.zeros(OPEN.size, dtype=bool)
    out[list(rows)] = True
    return out


def test_long_then_short_with_opposite_exit() -> None:
    # long on the signal at bar 0: in at open[1]=10.5, out at open[3]=12.5 (held over 2 closes);
    # a signal at bar 1 arrives while in the position and is ignored;
    # short on the signal at bar 4: in at open[5]=12, the opposite signal at bar 5 -> out at open[6]=11.
    directions = np.array([1, 1, 0, 0, -1, 0, 0, 0, 0, 0], dtype=float)
    stats, equity = simulate(OPEN, CLOSE, mask(0, 1, 4), directions, mask(5), start=0, hold=2)
    level = 12.5 / 10.5
    want = [1.0, 11 / 10.5, 10 / 10.5, level, level, level * (1 + 1 / 12), level * (1 + 1 / 12)]
    want += [level * 13 / 12] * 3
    assert equity == pytest.approx(want, rel=1e-15)
    daily = [b / a - 1 for a, b in zip([1.0, *want[:-1]], want, strict=True)]
    assert stats.total_return == pytest.approx(level * 13 / 12 - 1, rel=1e-15)
    assert stats.cagr == pytest.approx((level * 13 / 12) ** (252 / 10) - 1, rel=1e-12)
    assert stats.sharpe == pytest.approx(
        statistics.mean(daily) / statistics.stdev(daily) * math.sqrt(252), rel=1e-12
    )
    assert stats.max_drawdown == pytest.approx(10 / 11 - 1, rel=1e-15)
    assert stats.trades == 2
    assert stats.exposure == pytest.approx(3 / 10)
    assert stats.win_rate == 1.0


def test_timed_exit_and_position_open_at_the_end() -> None:
    # bearish signal at bar 6: short at open[7]=10; hold 5 runs past the data -> valued at the last close
    stats, equity = simulate(OPEN, CLOSE, mask(6, 9), np.full(10, -1.0), None, start=2, hold=5)
    assert equity.size == 8  # bars 2..9
    assert equity == pytest.approx([1.0] * 8)
    assert stats.trades == 1  # the signal on the last bar has no next open to act on
    assert stats.total_return == 0.0
    assert stats.sharpe is None  # a flat curve has no Sharpe ratio
    assert stats.exposure == pytest.approx(3 / 8)
    assert stats.win_rate == 0.0


def test_opposite_signal_on_the_last_held_bar_does_not_shorten_the_trade() -> None:
    # long at open[1]; hold 2 exits at open[3] anyway; an opposite signal at bar 2 would also exit at open[3]
    a, _ = simulate(OPEN, CLOSE, mask(0), np.ones(10), mask(2), start=0, hold=2)
    b, _ = simulate(OPEN, CLOSE, mask(0), np.ones(10), None, start=0, hold=2)
    assert a == b
    c, _ = simulate(OPEN, CLOSE, mask(0), np.ones(10), mask(1), start=0, hold=2)  # exit at open[2]
    assert c.total_return == pytest.approx(11.5 / 10.5 - 1)


def test_buy_and_hold() -> None:
    stats, equity = buy_and_hold(OPEN, CLOSE, start=1)
    assert equity == pytest.approx(CLOSE[1:] / 10.5)
    assert stats.total_return == pytest.approx(10 / 10.5 - 1)
    assert stats.max_drawdown == pytest.approx(10 / 13 - 1)
    assert stats.exposure == 1.0
    assert stats.trades == 1


def test_hold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="hold"):
        simulate(OPEN, CLOSE, mask(0), np.ones(10), None, start=0, hold=0)
