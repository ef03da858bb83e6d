"""Large result arrays in memory that the kernel does not back with transparent huge pages.

numpy asks Linux for transparent huge pages on every array of 4 MiB or more. Where huge pages
are granted "on request with direct compaction" (`/sys/kernel/mm/transparent_hugepage/defrag` =
madvise, a common default), the first touch of hundreds of MiB of fresh output stalls in the
kernel compacting memory: on a busy machine that doubled the first `compute_history` of 5,000 x
2,520 bars (1.4 s of system time against 0.3 s with ordinary pages). Outputs of that size are
written once, so huge pages buy little; they are mapped here with MADV_NOHUGEPAGE instead, and
populated at once (MAP_POPULATE: ~0.01 s per 100 MB instead of ~0.05 s of page faults).
"""

from __future__ import annotations

import mmap
from typing import Any, Literal

import numpy as np

from signals._types import Arr

_MIN_BYTES = 1 << 22  # below this numpy does not ask for huge pages either
_NO_HUGE = getattr(mmap, "MADV_NOHUGEPAGE", None)
_FLAGS = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_POPULATE", 0)  # no such flags on Windows


def empty(shape: tuple[int, ...], dtype: Any = np.float64, order: Literal["C", "F"] = "F") -> Arr:
    """`np.empty(shape, dtype, order=order)`, in pages without huge-page compaction when large."""
    dt = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if _NO_HUGE is None or nbytes < _MIN_BYTES:
        return np.empty(shape, dtype=dt, order=order)
    try:
        buf = mmap.mmap(-1, nbytes, flags=_FLAGS)  # pages handed out in one go, not one fault each
    except OSError:  # e.g. a mapping limit: numpy's way (MemoryError if memory is really short)
        return np.empty(shape, dtype=dt, order=order)
    buf.madvise(_NO_HUGE)
    return np.ndarray(shape, dtype=dt, buffer=buf, order=order)
