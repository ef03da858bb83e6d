"""Training data for models: per bar, indicators and signal flags (features), forward returns (targets).

Features at bar t are computed by the signal engine's batch path from bars up to t only (the same
numbers the live engine sees at t's close); targets look forward and are named `target_*`. Field by
field in backtest/README.md ("Training data").

Pure computation: builds a pandas DataFrame and the schema metadata; `finsignal export-features`
(backtest/features_cli.py) writes it as Parquet.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from backtest.data import Panel
from backtest.tradable import mask_gaps
from core.types import SignalType
from signals import SignalConfig, compute_history
from signals.history import HistoryResult

Arr = NDArray[Any]

KEYS = ("symbol", "ts")
PRICES = ("open", "high", "low", "close", "volume")
TARGET_PREFIX = "target_"
SIGNAL_PREFIX = "signal_"
METADATA_KEY = b"finsignal"
_NOT_INDICATORS = {"close", "volume", "bits", "config"}


def indicator_arrays(hist: HistoryResult) -> dict[str, Arr]:
    """Every per-bar indicator the engine computes (array fields of HistoryResult, and vol_base)."""
    out = {
        f.name: getattr(hist, f.name)
        for f in dataclasses.fields(hist)
        if f.name not in _NOT_INDICATORS
        and isinstance(getattr(hist, f.name), np.ndarray)
        and getattr(hist, f.name).shape == hist.close.shape
    }
    out["vol_base"] = hist.vol_base
    return out


def feature_frames(
    panel: Panel, *, config: SignalConfig = SignalConfig(), horizons: Sequence[int] = (5, 20, 60)
) -> dict[str, pd.DataFrame]:
    """One frame per symbol: keys, prices, indicators, `signal_*` flags, then `target_return_{h}`.

    target_return_h at bar t = close[t+h] / open[t+1] - 1 (what acting on t's close at the next open
    earned after h bars); NaN when the window runs past the data or spans a long gap.
    """
    hist = compute_history(panel.close, panel.volume, config)
    events = {s: m.copy() for s, m in hist.events.items()}
    if panel.gaps:  # the warm-up after a gap only (horizon 0: nothing before the gap is touched)
        mask_gaps(events, panel.gaps, warmup=config.warmup, horizon=0)
    ind = indicator_arrays(hist)
    n = panel.n_bars
    out: dict[str, pd.DataFrame] = {}
    for j, sym in enumerate(panel.symbols):
        s0 = int(panel.start[j])
        rows = slice(s0, n)
        cols: dict[str, Any] = {
            "symbol": sym,
            "ts": pd.to_datetime(panel.ts[rows, j], unit="us", utc=True),
        }
        for name in PRICES:
            cols[name] = getattr(panel, name)[rows, j]
        for name, arr in ind.items():
            cols[name] = arr[rows, j]
        for sig in SignalType:  # every type the bars produce (flow signals need stored flows)
            if sig in events:
                cols[f"{SIGNAL_PREFIX}{sig.value}"] = events[sig][rows, j]
        o, c = panel.open[rows, j], panel.close[rows, j]
        gap_rows = [g - s0 for g in (panel.gaps[j] if panel.gaps else ())]
        for h in sorted(set(horizons)):
            cols[f"{TARGET_PREFIX}return_{h}"] = _forward(o, c, h, gap_rows)
        out[sym] = pd.DataFrame(cols)
    return out


def _forward(o: Arr, c: Arr, h: int, gap_rows: Sequence[int]) -> Arr:
    m = c.size
    ret = np.full(m, np.nan)
    if m > h:
        with np.errstate(invalid="ignore", divide="ignore"):
            ret[: m - h] = c[h:] / o[1 : m - h + 1] - 1.0
    for g in gap_rows:  # a window over bars t+1..t+h spans the gap before row g when t < g <= t+h
        ret[max(0, g - h) : g] = np.nan
    return ret


def roles(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's role: 'key', 'price', 'indicator', 'signal' (features) or 'target'."""
    out = {}
    for col in frame.columns:
        if col in KEYS:
            out[col] = "key"
        elif col.startswith(TARGET_PREFIX):
            out[col] = "target"
        elif col.startswith(SIGNAL_PREFIX):
            out[col] = "signal"
        elif col in PRICES:
            out[col] = "price"
        else:
            out[col] = "indicator"
    return out


def schema_metadata(frame: pd.DataFrame, config: SignalConfig, horizons: Sequence[int]) -> bytes:
    """The file-level metadata (JSON under key b'finsignal'): roles, features, targets, parameters."""
    r = roles(frame)
    doc = {
        "features": [c for c, k in r.items() if k in ("price", "indicator", "signal")],
        "targets": [c for c, k in r.items() if k == "target"],
        "keys": list(KEYS),
        "roles": r,
        "target_definition": "close[t+h] / open[t+1] - 1; never use as a feature",
        "horizons": sorted(set(horizons)),
        "config": {k: v for k, v in dataclasses.asdict(config).items() if k != "enabled"},
    }
    return json.dumps(doc).encode()
