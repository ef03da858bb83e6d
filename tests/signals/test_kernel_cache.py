"""numba's on-disk cache checks a kernel against its own file only; a kernel inlining a function from
another file must not run stale machine code after that file changes (signals/_types.cache_dir)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CALLEE = """from signals._types import jit


@jit(inline="always")
def step(x: float) -> float:
    return x + {add}
"""
CALLER = """from signals._types import jit
from kcache_callee import step


@jit()
def run(x: float) -> float:
    return step(x)
"""


def _run(tmp: Path) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp / "cache"), "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}"}
    code = "import kcache_caller; print(kcache_caller.run(1.0))"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout


def test_a_changed_inlined_callee_is_compiled_again(tmp_path: Path) -> None:
    (tmp_path / "kcache_caller.py").write_text(CALLER)
    (tmp_path / "kcache_callee.py").write_text(CALLEE.format(add="1.0"))
    assert _run(tmp_path).strip() == "2.0"
    assert any((tmp_path / "cache").rglob("*.nbi"))  # compiled into the on-disk cache
    (tmp_path / "kcache_callee.py").write_text(CALLEE.format(add="2.0"))  # the caller's file unchanged
    assert _run(tmp_path).strip() == "3.0"
