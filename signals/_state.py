"""Saving and restoring SignalEngine state: an .npz blob (no pickle) with a JSON header."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from core.types import Interval, SignalType
from signals.config import SignalConfig

if TYPE_CHECKING:
    from signals.engine import SignalEngine

FORMAT = "finsignal.signals.state/5"


def dump(engine: SignalEngine) -> bytes:
    """Only the rows in use are written."""
    used = len(engine.symbols())
    cfg: dict[str, Any] = asdict(engine.config)
    cfg["enabled"] = sorted(str(s) for s in engine.config.enabled)
    header = {"format": FORMAT, "config": cfg, "interval": str(engine.interval), "symbols": engine.symbols()}
    arrays = {
        name.lstrip("_"): getattr(engine, name)[:, :used]
        if name in engine._BY_COLUMN
        else getattr(engine, name)[:used]
        for name in engine._ARRAYS
    }
    buf = io.BytesIO()
    np.savez(buf, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **arrays)
    return buf.getvalue()


def load(cls: type[SignalEngine], data: bytes) -> SignalEngine:
    """Restore an engine from `dump`; ValueError if the blob is not a state of this format."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            header = json.loads(npz["header"].tobytes().decode())
            arrays = {name: npz[name.lstrip("_")] for name in cls._ARRAYS}
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"signals: not a saved engine state ({exc})") from exc
    if header.get("format") != FORMAT:
        raise ValueError(f"signals: unknown state format {header.get('format')!r}, expected {FORMAT!r}")
    cfg = dict(header["config"])
    cfg["enabled"] = frozenset(SignalType(s) for s in cfg["enabled"])
    symbols: list[str] = header["symbols"]
    engine = cls(SignalConfig(**cfg), Interval(header["interval"]), capacity=max(1, len(symbols)))
    for s in symbols:
        engine.slot(s)
    n = len(symbols)
    for name, arr in arrays.items():
        target = getattr(engine, name)
        if name in cls._BY_COLUMN:
            target, arr = target.T, arr.T  # instrument first, like the others
        if arr.shape[1:] != target.shape[1:] or arr.shape[0] != n or arr.dtype != target.dtype:
            raise ValueError(
                f"signals: saved state array {name} ({arr.shape}, {arr.dtype}) does not fit this engine"
            )
        target[:n] = arr
    return engine
