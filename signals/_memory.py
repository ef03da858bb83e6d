"""Large result arrays in memory that the kernel does not back with transparent huge pages.

numpy asks Linux for transparent huge pages on every array of 4 MiB or more. Where huge pages
are granted "on request with direct compaction" (`/sys/kernel/mm/transparent_hugepage/defrag` =
madvise, a common default), the first touch of hundreds of MiB of fresh output stalls in the
kernel compacting memory: on a busy machine that doubled the first `compute_history` of 5,000 x
2,520 bars (1.4 s of system time against 0.3 s with ordinary pages). Outputs of that size are
written once, so huge pages buy little; they are mapped here with MADV_NOHUGEPAGE instead, and
populated at once (MAP_POPULATE: ~0.01 s per 100 MB instead of ~0.05 s of page faults).

Freshly mapped memory still costs the kernel's zeroing of every page: about 0.13 s for the 412 MB
of a 5,000 x 2,520 history, a third of the whole call. So mappings are recycled like malloc
recycles small blocks: when the last array over a mapping is gone, the mapping goes back to a
small pool (at most `POOL_BYTES`), and the next result of the same size reuses its pages. Grid
searches and repeated backtests on one panel allocate the same sizes again and again.

"""

from __future__ import annotations

import contextlib
import mmap
import threading
import weakref
from collections import deque
from typing import Any, Literal

import numpy as np

from signals._types import Arr

_MIN_BYTES = 1 << 22  # below this numpy does not ask for huge pages either
_NO_HUGE = getattr(mmap, "MADV_NOHUGEPAGE", None)
_FLAGS = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_POPULATE", 0)  # no such flags on Windows


POOL_BYTES = 1 << 30  # mappings kept for reuse after their arrays are gone, at most

_lock = threading.Lock()
_pool: list[mmap.mmap] = []  # free mappings, oldest first (under _lock)
_returned: deque[mmap.mmap] = deque()  # freed by finalizers: any thread, any time, no lock taken


class _Block:
    """Owns one mapping while arrays use it (it is their `base`); then returns it to the pool."""

    __slots__ = ("__weakref__", "mm")

    def __init__(self, mm: mmap.mmap) -> None:
        self.mm = mm
        # a finalizer may run inside a garbage collection while _lock is held: it only appends
        weakref.finalize(self, _returned.append, mm)

    def __buffer__(self, flags: int) -> memoryview:
        return memoryview(self.mm)


def _drain() -> None:
    """Move freed mappings into the pool and keep it under POOL_BYTES. Call with _lock held."""
    while _returned:
        _pool.append(_returned.popleft())
    while _pool and sum(len(m) for m in _pool) > POOL_BYTES:
        old = _pool.pop(0)
        with contextlib.suppress(BufferError):  # still exported somewhere: unmapped when collected
            old.close()


def _mapping(nbytes: int) -> mmap.mmap:
    with _lock:
        _drain()
        for k, mm in enumerate(_pool):
            if len(mm) == nbytes:
                return _pool.pop(k)
    advice = _NO_HUGE
    assert advice is not None  # empty() maps memory only where the platform has the advice
    mm = mmap.mmap(-1, nbytes, flags=_FLAGS)  # pages handed out in one go, not one fault each
    mm.madvise(advice)
    return mm


def pooled_bytes() -> int:
    """Bytes of free mappings kept for reuse."""
    with _lock:
        _drain()
        return sum(len(m) for m in _pool)


def empty(shape: tuple[int, ...], dtype: Any = np.float64, order: Literal["C", "F"] = "F") -> Arr:
    """`np.empty(shape, dtype, order=order)`, in pages without huge-page compaction when large,
    recycled from earlier results of the same size when there are some."""
    dt = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if _NO_HUGE is None or nbytes < _MIN_BYTES:
        return np.empty(shape, dtype=dt, order=order)
    try:
        mm = _mapping(nbytes)
    except OSError:  # e.g. a mapping limit: numpy's way (MemoryError if memory is really short)
        return np.empty(shape, dtype=dt, order=order)
    return np.ndarray(shape, dtype=dt, buffer=_Block(mm), order=order)
