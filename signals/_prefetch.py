"""`prefetch(address)`: a software prefetch (LLVM `llvm.prefetch`) callable from numba code.

Numba has no prefetch of its own. The live kernel asks for the ring lines of an instrument a few
rows ahead, so that the cache misses of instruments whose ring rows are scattered overlap instead
of stalling one after another. A prefetch is a hint: it never faults and changes no result.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

_I8P = ir.IntType(8).as_pointer()
_I32 = ir.IntType(32)
_PREFETCH_T = ir.FunctionType(ir.VoidType(), [_I8P, _I32, _I32, _I32])


@intrinsic  # type: ignore[untyped-decorator]
def prefetch(typingctx: Any, address: Any) -> Any:
    """Hint the cache line at integer `address` into all cache levels, for reading."""
    if not isinstance(address, types.Integer):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ptr = builder.inttoptr(args[0], _I8P)
        fn = cgutils.get_or_insert_function(builder.module, _PREFETCH_T, "llvm.prefetch.p0i8")
        # read (0), keep in all levels (locality 3), data cache (1)
        builder.call(fn, [ptr, ir.Constant(_I32, 0), ir.Constant(_I32, 3), ir.Constant(_I32, 1)])
        return context.get_dummy_value()

    return types.void(address), codegen
