"""Backtests: replay history through the live signal engine, rate each signal, report.

    from backtest import run_backtest, grade, rating_line
    result = run_backtest({"GOOG": bars}, horizons=(5, 20, 60), years=10)
    result.records()   # one dict per (symbol, signal, horizon)
    result.ratings()   # core.types.Rating records for the RatingRepo

Pure computation: imports only core, signals, numpy, pandas, rich and matplotlib.
"""

from backtest.rating import INSUFFICIENT, grade, rating_line
from backtest.report import render_text
from backtest.result import BacktestResult
from backtest.runner import check_histories, run_backtest
from backtest.strategy import StrategyStats

__all__ = [
    "INSUFFICIENT",
    "BacktestResult",
    "StrategyStats",
    "check_histories",
    "grade",
    "rating_line",
    "render_text",
    "run_backtest",
]
