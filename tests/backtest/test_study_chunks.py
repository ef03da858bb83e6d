"""The event study gives each instrument column the same figures however columns are grouped."""

from __future__ import annotations

import numpy as np
import pytest

import backtest.study
from backtest.study import StudyStats, event_study
from signals import compute_history

FIELDS = ("count", "excluded", "hits", "mean", "m2", "median", "baseline", "worst_mae")


def test_column_chunks_and_threads_do_not_change_any_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    n, m = 420, 150
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (n, m)), axis=0))
    high, low = close * 1.01, close * 0.99
    volume = rng.lognormal(12.0, 0.5, (n, m))
    close[:60, 7] = np.nan  # a shorter history
    high[:60, 7] = low[:60, 7] = np.nan
    events = compute_history(close, volume).events
    first = np.full(m, 200)
    first[7] = 260
    alone = StudyStats.concat(
        [event_study(close[:, j : j + 1], high[:, j : j + 1], low[:, j : j + 1],
                     {s: e[:, j : j + 1] for s, e in events.items()}, first[j : j + 1], (5, 20, 60))
         for j in range(m)]
    )  # fmt: skip
    assert alone.count.sum() > 1000
    for cols, threads in ((64, 1), (7, 2), (1000, 2)):
        monkeypatch.setattr(backtest.study, "_COLS", cols)
        together = event_study(close, high, low, events, first, (60, 5, 20), threads=threads)
        for name in FIELDS:
            np.testing.assert_array_equal(getattr(together, name), getattr(alone, name), err_msg=name)
