"""Saving and restoring SignalEngine state: an .npz blob (no pickle) with a JSON header."""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.types import Interval, SignalType
from signals._types import Arr
from signals.config import SignalConfig

FORMAT = "finsignal.signals.state/6"


@dataclass(frozen=True, slots=True)
class SavedState:
    """What a saved engine state holds: its configuration, symbols in row order and state arrays
    (instrument first, only the rows in use)."""

    config: SignalConfig
    interval: Interval
    symbols: list[str]
    arrays: dict[str, Arr]


def dump(state: SavedState) -> bytes:
    """An .npz blob with a JSON header (no pickle)."""
    cfg: dict[str, Any] = asdict(state.config)
    cfg["enabled"] = sorted(str(s) for s in state.config.enabled)
    header = {"format": FORMAT, "config": cfg, "interval": str(state.interval), "symbols": state.symbols}
    arrays: dict[str, Any] = dict(state.arrays)
    buf = io.BytesIO()
    np.savez(buf, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **arrays)
    return buf.getvalue()


def load(data: bytes, names: tuple[str, ...]) -> SavedState:
    """Read a blob written by `dump`; ValueError if it is not a state of this format."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            header = json.loads(npz["header"].tobytes().decode())
            arrays = {name: npz[name] for name in names}
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"signals: not a saved engine state ({exc})") from exc
    if header.get("format") != FORMAT:
        raise ValueError(f"signals: unknown state format {header.get('format')!r}, expected {FORMAT!r}")
    cfg = dict(header["config"])
    cfg["enabled"] = frozenset(SignalType(s) for s in cfg["enabled"])
    return SavedState(SignalConfig(**cfg), Interval(header["interval"]), list(header["symbols"]), arrays)
