"""Batch driver of the Bollinger / 52-week / pattern kernel (`_extra.history`) over column blocks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from signals import _extra, _memory
from signals._types import Arr
from signals.config import SignalConfig

_CHUNK_CELLS = 1 << 18


@dataclass(frozen=True, eq=False)
class ExtraArrays:
    """Outputs of the extra kernel, shaped (n_bars, n_inst); `patterns` one row per pattern event
    (`_extra.EV_COLS` columns; swing stamps are row indices), ordered by row, then column."""

    bb_mid: Arr
    bb_upper: Arr
    bb_lower: Arr
    bb_width: Arr
    high_52w: Arr
    low_52w: Arr
    bits: Arr
    patterns: Arr


def run(c2: Arr, cfg: SignalConfig, enabled: int, k: int) -> ExtraArrays:
    """The extra kernel over all columns of (already validated) closes, on `k` threads."""
    n_inst = c2.shape[1]
    outs = (*(_memory.empty(c2.shape) for _ in range(6)), _memory.empty(c2.shape, np.uint16))
    spans = list(pairwise(np.linspace(0, n_inst, k + 1).astype(int).tolist()))
    if k == 1:
        found = [_columns(c2, 0, n_inst, cfg, enabled, outs)]
    else:
        with ThreadPoolExecutor(k) as pool:  # the kernel releases the GIL
            found = list(pool.map(lambda s: _columns(c2, s[0], s[1], cfg, enabled, outs), spans))
    ev = np.concatenate(found) if found else np.empty((0, _extra.EV_COLS))
    ev = ev[np.lexsort((ev[:, 1], ev[:, 0]))]
    mid, up, lo, bw, hi, lw, bits = outs
    return ExtraArrays(mid, up, lo, bw, hi, lw, bits, patterns=ev)


def _columns(c2: Arr, a: int, b: int, cfg: SignalConfig, enabled: int, outs: tuple[Arr, ...]) -> Arr:
    """Columns a..b-1, chunk by chunk through F-ordered buffers at least two columns wide (one
    compiled specialisation); pattern events with their absolute column."""
    n_bars = c2.shape[0]
    width = max(2, min(b - a, _CHUNK_CELLS // max(1, n_bars)))
    buf = np.empty((n_bars, width), order="F")
    tmp = tuple(np.empty((n_bars, width), dtype=o.dtype, order="F") for o in outs)
    found: list[Arr] = []
    for j0 in range(a, b, width):
        j1 = min(b, j0 + width)
        w = j1 - j0
        buf[:, :w] = c2[:, j0:j1]
        buf[:, w:] = np.nan
        cap = max(16, n_bars * width // 256)
        while True:
            ev = np.empty((cap, _extra.EV_COLS))
            mid, up, lo, bw, hi, lw, bits = tmp
            got = int(_extra.history(buf, cfg.band_params, cfg.pattern_params, enabled,
                                     mid, up, lo, bw, hi, lw, bits, ev))  # fmt: skip
            if got <= cap:
                break
            cap = got
        for o, t in zip(outs, tmp, strict=True):
            o[:, j0:j1] = t[:, :w]
        rows = ev[:got]
        rows[:, 1] += j0
        found.append(rows)
    return np.concatenate(found) if found else np.empty((0, _extra.EV_COLS))
