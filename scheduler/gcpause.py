"""The cyclic garbage collector paused while a bar close fans out.

One close of 5,000 instruments allocates ~100,000 short-lived objects (rows, watchers, rendered
texts): reference counting frees them, but their allocation triggers the cyclic collector's passes,
full ones included, which cost 100-200 ms of the 500 ms bar-to-outbox budget (bench/README.md,
"Stop 34"). Nested and concurrent pauses count; the last to leave turns the collector back on, unless
it was off before the first.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0
_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _was_enabled
    if _depth == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _was_enabled:
            gc.enable()
