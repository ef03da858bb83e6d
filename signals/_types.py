"""Array type alias and a typed numba decorator for annotations."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit
from numpy.typing import NDArray

Arr = NDArray[Any]
F = TypeVar("F", bound=Callable[..., Any])


def jit(*, inline: str = "never") -> Callable[[F], F]:
    """`numba.njit(cache=True)` keeping the function's type for mypy."""
    return cast(Callable[[F], F], njit(cache=True, inline=inline))
