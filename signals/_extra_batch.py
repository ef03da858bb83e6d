"""Batch driver of the Bollinger / 52-week / pattern kernel (`_extra.history`) over column blocks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from signals import _bands as B
from signals import _extra, _memory
from signals import _patterns as P
from signals._types import Arr, plain
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
    """Columns a..b-1, chunk by chunk: closes through an F-ordered buffer, outputs written in place
    (the outputs are F-ordered); pattern events with their absolute column.

    A chunk is at least two columns wide: a single column (n, 1) is C- as well as F-contiguous and
    numba would compile a second specialisation for it (the last one is widened to the left, or
    padded when the span holds a single column). The event buffer grows to the largest count seen,
    so a chunk runs again only when it finds more patterns than any chunk before it.
    """
    n_bars = c2.shape[0]
    width = max(2, min(b - a, _CHUNK_CELLS // max(1, n_bars)))
    buf = np.empty((n_bars, width), order="F")
    rsize, bsize = plain(B.ring_sizes)(cfg.bb_period, cfg.high_low_window, cfg.bb_squeeze_window)
    ring, bwr, ps, logs = np.zeros((rsize, 1)), np.zeros((bsize, 1)), np.zeros(P.NF), np.empty(n_bars)
    found: list[Arr] = []
    ev = np.empty((max(64, n_bars * width // 64), _extra.EV_COLS))
    for j0 in range(a, b, width):
        j1 = min(b, j0 + width)
        lo = j0 if j1 - j0 >= 2 or j1 - a < 2 else j1 - 2  # widen a last single column to the left
        w = j1 - lo
        if w >= 2:
            cc = buf[:, :w]
            cc[...] = c2[:, lo:j1]
            dest = tuple(o[:, lo:j1] for o in outs)
        else:  # a span of one column: pad with a no-bar column
            cc = buf[:, :2]
            cc[:, 0] = c2[:, lo]
            cc[:, 1] = np.nan
            dest = tuple(np.empty((n_bars, 2), dtype=o.dtype, order="F") for o in outs)
        while True:
            mid, up, lo_, bw, hi, lw, bits = dest
            got = int(_extra.history(cc, ring, bwr, ps, logs, cfg.band_params, cfg.pattern_params, enabled,
                                     mid, up, lo_, bw, hi, lw, bits, ev))  # fmt: skip
            if got <= ev.shape[0]:
                break
            ev = np.empty((got, _extra.EV_COLS))
        if w < 2:
            for o, t in zip(outs, dest, strict=True):
                o[:, lo] = t[:, 0]
        rows = ev[:got].copy()
        rows[:, 1] += lo
        if lo < j0:  # the widened column was done by the chunk before
            rows = rows[rows[:, 1] >= j0]
        found.append(rows)
    return np.concatenate(found) if found else np.empty((0, _extra.EV_COLS))
