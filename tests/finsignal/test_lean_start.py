"""What a process loads before it has work (issue 26: idle `finsignal run` under 150 MB, the health
check under 1 s): the heavy libraries load where they are used, not at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "numba", "pyarrow", "matplotlib", "duckdb", "exchange_calendars", "sqlglot")


def _loaded(code: str, env: dict[str, str] | None = None, names: tuple[str, ...] = HEAVY) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {names!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_the_run_path_imports_no_heavy_library() -> None:
    """`finsignal run` imports its runtime, the container and the scheduler: none of them may pull in
    pandas, numba, pyarrow, matplotlib, DuckDB, exchange_calendars or sqlglot at import time."""
    assert _loaded("import finsignal.runtime, finsignal.container, scheduler.runtime, finsignal.health") == []


def test_the_health_check_imports_no_heavy_library(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINSIGNAL_")}
    env["FINSIGNAL_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"
    code = (
        "import sys\n"
        "from finsignal.cli import main\n"
        "code = main(['status', '--check'])\n"
        "assert code in (0, 1), code\n"
    )
    # the probe is the database driver alone: no ORM, no market sources, no bot
    loaded = _loaded(code, env, (*HEAVY, "sqlalchemy", "market", "telegram", "fastapi"))
    assert loaded == []
    assert "pandas" in _loaded("import pandas", env)  # the probe does see what a process imports
