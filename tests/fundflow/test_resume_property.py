"""Property: a collection killed at any durable step (any Parquet or tracker replace, one or two kills
in a row, with the killed writer's temporary file left behind or not) and then resumed ends with the
same files and, row for row, the same data as an uninterrupted run. The real `kill -9` of a real
process is in test_resume.py; here the kill is simulated in-process so many points can be tried."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import load_settings
from core.timeutil import SystemClock
from fundflow import service
from fundflow.store import FlowStore
from tests.fundflow.fake_flows import FakeFlows

DURABLE_STEPS = 50  # 25 series, each one Parquet replace and one tracker replace


class Killed(BaseException):
    """The process died: nothing after this point happens (not an Exception, so nothing catches it)."""


def rows(directory: Path) -> pd.DataFrame:
    frame = FlowStore(directory).read_all().drop(columns=["fetched_at"])
    return frame.sort_values(["market", "series", "month"]).reset_index(drop=True)


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def killing_replace(after: int) -> tuple[Callable[[Any, Any], None], list[int]]:
    """os.replace that works `after` times, then kills the run (and refuses every later call)."""
    real, done = os.replace, [0]

    def replace(src: Any, dst: Any) -> None:
        if done[0] >= after:
            raise Killed
        done[0] += 1
        real(src, dst)

    return replace, done


def collect(overrides: dict[str, Any], directory: Path) -> None:
    settings_ = load_settings(**overrides, fundflow_dir=directory)
    asyncio.run(service.collect(settings_, SystemClock(), years=10))


_reference: dict[str, pd.DataFrame] = {}


def reference(fake: FakeFlows, tmp: Path) -> pd.DataFrame:
    if "rows" not in _reference:
        collect(fake.settings_overrides(), tmp / "reference")
        _reference["rows"] = rows(tmp / "reference")
        _reference["files"] = pd.DataFrame({"name": sorted(p.name for p in (tmp / "reference").iterdir())})
    return _reference["rows"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kills=st.lists(st.integers(0, DURABLE_STEPS - 1), min_size=1, max_size=2),
    leave_temporary=st.booleans(),
)
def test_killed_anywhere_resumes_to_the_uninterrupted_result(
    fake: FakeFlows, kills: list[int], leave_temporary: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        expected = reference(fake, Path(tempfile.gettempdir()) / f"ff-ref-{os.getpid()}")
        directory = tmp / "interrupted"
        for after in kills:
            replace, done = killing_replace(after)
            # the run's tasks die with it (suppress takes Killed out of the TaskGroup's exception
            # group; any other error still fails the test)
            with mock.patch("os.replace", replace), contextlib.suppress(Killed):
                collect(fake.settings_overrides(), directory)
            for leftover in directory.glob(f"*.tmp{os.getpid()}"):
                if leave_temporary:  # what a killed process leaves: its temp file, its pid dead
                    leftover.rename(leftover.with_suffix(f".tmp{dead_pid()}"))
                else:
                    leftover.unlink()
            assert done[0] <= after
        collect(fake.settings_overrides(), directory)  # the resumed run, to the end
        assert sorted(p.name for p in directory.iterdir()) == list(_reference["files"]["name"])
        pd.testing.assert_frame_equal(rows(directory), expected)
