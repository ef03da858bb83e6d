"""Cache hints callable from numba code (LLVM intrinsics): `prefetch`, `stream_copy64`, `store_fence`.

Numba has none of these. They change no result: a prefetch is a hint that never faults, and a
streamed copy is an ordinary copy whose stores bypass the caches.
- The live kernel asks for the ring lines of an instrument a few rows ahead (`prefetch`), so
  that the cache misses of instruments whose ring rows are scattered overlap instead of stalling
  one after another.
- It keeps the state before each instrument's last bar (needed only if that bar is corrected)
  with `stream_copy64`: non-temporal stores write the line to memory without first reading it
  and without pushing the live state out of the caches. `store_fence` orders them before the
  kernel returns.
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

_I8P = ir.IntType(8).as_pointer()
_I32 = ir.IntType(32)
_LINE = ir.VectorType(ir.IntType(64), 8)  # one 64-byte cache line
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


@intrinsic  # type: ignore[untyped-decorator]
def stream_copy64(typingctx: Any, dst: Any, src: Any) -> Any:
    """Copy the 64 bytes at integer address `src` to `dst` with a non-temporal store.

    Both addresses must be 64-byte aligned (the caller's arrays are allocated so).
    """
    if not (isinstance(dst, types.Integer) and isinstance(src, types.Integer)):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        line = _LINE.as_pointer()
        value = builder.load(builder.inttoptr(args[1], line), align=64)
        store = builder.store(value, builder.inttoptr(args[0], line), align=64)
        store.set_metadata("nontemporal", builder.module.add_metadata([ir.Constant(_I32, 1)]))
        return context.get_dummy_value()

    return types.void(dst, src), codegen


@intrinsic  # type: ignore[untyped-decorator]
def store_fence(typingctx: Any) -> Any:
    """Order all earlier stores, non-temporal ones included, before later ones (a full fence)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen
