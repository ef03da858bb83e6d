"""Strategy view of one signal: trade it mechanically and compare with buy-and-hold.

Rules (also in the README):

- A signal on the close of bar t is acted on at the OPEN of bar t+1 (no look-ahead).
- Bullish signals go long, bearish ones short (each signal is judged on its own prediction);
  a volume spike follows its own bar's move, as in the event study. One position at a time:
  signals arriving while a position is open are ignored.
- Exit at the open of bar t+hold+1 (the position is held over `hold` closes), or earlier at
  the open after the opposite signal (`SignalType.opposite`) fires. A position still open at the
  end of the data is valued at the last close. No costs, no leverage; a short is a plain short
  (value 1 + (entry - price) / entry), not rebalanced daily.
- Equity is marked at every close of the period; Sharpe is mean/std (ddof=1) of the daily equity
  returns times sqrt(252), risk-free rate 0; CAGR = final ** (252 / bars) - 1; max drawdown is the
  worst fall from a running peak (a fraction <= 0); exposure is the share of bars with a position.
- Buy-and-hold buys at the open of the period's first bar and holds to the last close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from backtest import _kernel

Arr = NDArray[Any]

TRADING_DAYS = 252


@dataclass(frozen=True, slots=True)
class StrategyStats:
    """Metrics of one equity curve. Returns are fractions; `sharpe` is None for a flat curve."""

    total_return: float
    cagr: float
    sharpe: float | None
    max_drawdown: float
    trades: int
    exposure: float
    win_rate: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "total_return": self.total_return,
            "cagr": self.cagr,
            "sharpe": self.sharpe,
            "max_drawdown": self.max_drawdown,
            "trades": self.trades,
            "exposure": self.exposure,
            "win_rate": self.win_rate,
        }


def metrics(equity: Arr, in_position: Arr, trades: int, wins: int) -> StrategyStats:
    """Metrics of an equity curve marked at each close, starting from 1.0 before the first bar."""
    bars = equity.size
    final, mean, sd, worst = _kernel.curve_metrics(np.ascontiguousarray(equity, dtype=np.float64))
    return StrategyStats(
        total_return=final - 1.0,
        cagr=final ** (TRADING_DAYS / bars) - 1.0 if final > 0 and bars else -1.0,
        sharpe=mean / sd * math.sqrt(TRADING_DAYS) if sd > 0 else None,
        max_drawdown=worst,
        trades=trades,
        exposure=float(np.mean(in_position)) if bars else 0.0,
        win_rate=wins / trades if trades else None,
    )


def simulate(
    open_: Arr,
    close: Arr,
    entries: Arr,
    directions: Arr,
    exits: Arr | None,
    *,
    start: int,
    hold: int,
) -> tuple[StrategyStats, Arr]:
    """Trade the signal over bars start..n-1 of one instrument; return metrics and the equity curve.

    `entries[t]` marks signal bars, `directions[t]` their direction (+1/-1), `exits[t]` the bars of
    the opposite signal (or None). The curve has one value per bar from `start` on.
    """
    n = close.size
    if hold < 1:
        raise ValueError(f"hold must be at least 1 bar, got {hold}")
    equity = np.ones(n - start)
    in_pos = np.zeros(n - start, dtype=np.bool_)
    c = np.ascontiguousarray
    ex = c(exits, dtype=np.bool_) if exits is not None else np.zeros(n, dtype=np.bool_)
    trades, wins = _kernel.simulate(
        c(open_, dtype=np.float64), c(close, dtype=np.float64), c(entries, dtype=np.bool_),
        c(directions, dtype=np.float64), ex, exits is not None, start, hold, equity, in_pos,
    )  # fmt: skip
    return metrics(equity, in_pos, trades, wins), equity


def buy_and_hold(open_: Arr, close: Arr, *, start: int) -> tuple[StrategyStats, Arr]:
    """Buy at the open of bar `start`, hold to the last close."""
    equity = close[start:] / open_[start]
    return metrics(equity, np.ones(equity.size, dtype=bool), 1, int(equity[-1] > 1.0)), equity
