"""Array type alias and a typed numba decorator for annotations."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit
from numpy.typing import NDArray

Arr = NDArray[Any]
F = TypeVar("F", bound=Callable[..., Any])


def jit(*, inline: str = "never", nrt: bool = True, nogil: bool = False) -> Callable[[F], F]:
    """`numba.njit(cache=True)` keeping the function's type for mypy.

    nrt=False compiles without numba's reference-counting runtime (numba's `_nrt` option): only
    for functions that allocate no arrays. nogil=True releases the GIL while the function runs
    (for calls from several threads at once). Division follows IEEE (numba's "numpy" error
    model): no zero-divisor checks and their branches on the hot path.
    """
    opts: dict[str, Any] = {"cache": True, "inline": inline, "nogil": nogil, "error_model": "numpy"}
    if not nrt:
        opts["_nrt"] = False
    return cast(Callable[[F], F], njit(**opts))
