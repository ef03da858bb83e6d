"""Array type alias and a typed, lazy numba decorator.

numba (and LLVM behind it) costs about 70 MB resident and a second of start-up; a process that
computes nothing yet (an idle bot on an empty database, `finsignal --help`, a health check) should
not pay it. `jit` therefore wraps each kernel in a `_Lazy` stand-in: the first call anywhere imports
numba, turns every registered kernel into its `numba.njit` dispatcher and puts the dispatchers in
place of the stand-ins in the modules that define or import them, so jitted code calling jitted code
sees real dispatchers when numba types it. Calls through a stand-in held elsewhere delegate.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from numpy.typing import NDArray

Arr = NDArray[Any]
F = TypeVar("F", bound=Callable[..., Any])

_registry: list[_Lazy] = []
_lock = threading.Lock()
_ready = False


class _Lazy:
    """A kernel not compiled yet: `numba.njit(**opts)(func)` is built at the first call of any kernel."""

    def __init__(self, func: Callable[..., Any], opts: dict[str, Any]) -> None:
        self.py_func = func
        self.opts = opts
        self.dispatcher: Any = None
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__module__ = func.__module__
        self.__doc__ = func.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.dispatcher is None:
            load()
        return self.dispatcher(*args, **kwargs)


def cache_dir() -> str:
    """Where numba keeps compiled kernels: `$NUMBA_CACHE_DIR` (the image sets it) or
    `~/.cache/finsignal/numba`, then a directory named by a hash of every kernel source file.

    numba checks a cached kernel against its own file's time stamp only: a kernel that inlines a
    function from another file (the extra kernel inlines `_bands` and `_patterns`) would run stale
    machine code after that other file changed. Keyed by the sources, a changed kernel file means a
    fresh directory, and a fresh compile."""
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "finsignal", "numba"
    )
    digest = hashlib.sha256()
    for name in sorted({lazy.py_func.__code__.co_filename for lazy in _registry}):
        with open(name, "rb") as source:
            digest.update(source.read())
    return os.path.join(base, digest.hexdigest()[:16])


def load() -> None:
    """Import numba and swap every registered stand-in for its dispatcher (idempotent, thread-safe)."""
    global _ready
    if _ready:
        return
    with _lock:
        if _ready:
            return
        # the batch path takes a column's logs in a loop of their own, the live path one at a time:
        # with Intel's SVML, numba would vectorise that loop with a log of its own (not bit-equal)
        os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")
        import numba
        from numba import njit

        numba.config.CACHE_DIR = cache_dir()  # read when a dispatcher sets up its cache, below

        for lazy in _registry:
            lazy.dispatcher = njit(**lazy.opts)(lazy.py_func)
        for name in {lazy.py_func.__module__ for lazy in _registry}:
            module = sys.modules.get(name)
            if module is None:
                continue
            for attr, value in list(vars(module).items()):
                if isinstance(value, _Lazy):
                    setattr(module, attr, value.dispatcher)
        _ready = True


def jit(
    *,
    inline: str = "never",
    nrt: bool = True,
    nogil: bool = False,
    fastmath: bool = False,
    error_model: str = "numpy",
) -> Callable[[F], F]:
    """`numba.njit(cache=True)`, compiled lazily (see above), keeping the function's type for mypy.

    nrt=False compiles without numba's reference-counting runtime (numba's `_nrt` option): only
    for functions that allocate no arrays. nogil=True releases the GIL while the function runs
    (for calls from several threads at once). Division follows IEEE (numba's "numpy" error
    model) unless `error_model="python"`: no zero-divisor checks and their branches on the hot
    path. fastmath lets LLVM
    reassociate (vectorised min/max over windows without NaN).
    """
    opts: dict[str, Any] = {"cache": True, "inline": inline, "nogil": nogil, "error_model": error_model}
    if not nrt:
        opts["_nrt"] = False
    if fastmath:
        opts["fastmath"] = True

    def wrap(func: F) -> F:
        if _ready:  # a module imported after the first compile: no stand-in needed
            from numba import njit

            return cast(F, njit(**opts)(func))
        lazy = _Lazy(func, opts)
        _registry.append(lazy)
        return cast(F, lazy)

    return wrap


def plain[G: Callable[..., Any]](func: G) -> G:
    """The Python function behind a kernel: for cheap calls outside compiled code (sizes, set-up) that
    should not import numba for a process that has computed nothing yet."""
    return cast(G, getattr(func, "py_func", func))
