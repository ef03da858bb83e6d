"""Indicators and signal rules: pure and synchronous.

- `compute_history(close, volume, config)` -> `HistoryResult`: the batch path (backtests).
- `SignalEngine`: the live path, O(1) per instrument per bar, state as arrays across instruments.
Semantics (RSI seed and flat value, rule definitions, ties, corrections, dedup): README.md here.
Both run every bar through one numba function (`signals._kernel.step`), so their indicator values
and events are identical.
"""

from signals.config import SignalConfig, signal_config
from signals.engine import ArrayUpdate, SignalEngine
from signals.history import HistoryResult, compute_history

__all__ = ["ArrayUpdate", "HistoryResult", "SignalConfig", "SignalEngine", "compute_history", "signal_config"]
