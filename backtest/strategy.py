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


def metrics(equity: Arr, in_position: Arr, trade_returns: list[float]) -> StrategyStats:
    """Metrics of an equity curve marked at each close, starting from 1.0 before the first bar."""
    curve = np.concatenate(([1.0], equity))
    daily = curve[1:] / curve[:-1] - 1.0
    bars = equity.size
    final = float(curve[-1])
    sd = float(np.std(daily, ddof=1)) if bars > 1 else 0.0
    sharpe = float(np.mean(daily)) / sd * math.sqrt(TRADING_DAYS) if sd > 0 else None
    cagr = final ** (TRADING_DAYS / bars) - 1.0 if final > 0 and bars else -1.0
    peak = np.maximum.accumulate(curve)
    wins = [r for r in trade_returns if r > 0]
    return StrategyStats(
        total_return=final - 1.0,
        cagr=float(cagr),
        sharpe=sharpe,
        max_drawdown=float(np.min(curve / peak - 1.0)),
        trades=len(trade_returns),
        exposure=float(np.mean(in_position)) if bars else 0.0,
        win_rate=len(wins) / len(trade_returns) if trade_returns else None,
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
    in_pos = np.zeros(n - start, dtype=bool)
    exit_rows = np.flatnonzero(exits) if exits is not None else np.empty(0, dtype=np.int64)
    trade_returns: list[float] = []
    level = 1.0
    free_from = start  # first bar whose open may start a new position
    for t in np.flatnonzero(entries[start:]) + start:
        entry = int(t) + 1
        if entry > n - 1 or entry < free_from:
            continue
        out = int(t) + hold + 1
        later = exit_rows[(exit_rows >= entry) & (exit_rows < out - 1)]
        if later.size:
            out = int(later[0]) + 1
        d = float(directions[t])
        px = open_[entry]
        held = slice(entry - start, min(out, n) - start)
        equity[held] = level * (1.0 + d * (close[entry:out] / px - 1.0))
        in_pos[held] = True
        if out <= n - 1:
            gain = d * (open_[out] / px - 1.0)
            equity[out - start :] = level * (1.0 + gain)
        else:
            gain = d * (close[n - 1] / px - 1.0)
        trade_returns.append(float(gain))
        level *= 1.0 + gain
        free_from = out
    return metrics(equity, in_pos, trade_returns), equity


def buy_and_hold(open_: Arr, close: Arr, *, start: int) -> tuple[StrategyStats, Arr]:
    """Buy at the open of bar `start`, hold to the last close."""
    equity = close[start:] / open_[start]
    gain = float(equity[-1] - 1.0)
    return metrics(equity, np.ones(equity.size, dtype=bool), [gain]), equity
