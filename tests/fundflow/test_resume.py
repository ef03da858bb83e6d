"""Resume: an interrupted collection (injected source failure, or a real kill -9) ends with the rows an
uninterrupted run makes, and a series recorded in the tracker is never fetched again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from core.timeutil import SystemClock
from fundflow import service
from fundflow.store import FlowStore
from fundflow.tracker import FILE_NAME
from tests.fundflow.fake_flows import FakeFlows

ROOT = Path(__file__).resolve().parents[2]


def rows(directory: Path) -> pd.DataFrame:
    frame = FlowStore(directory).read_all().drop(columns=["fetched_at"])
    return frame.sort_values(["market", "series", "month"]).reset_index(drop=True)


async def test_failing_source_does_not_stop_others_and_resume_fetches_only_what_is_missing(
    make_settings: Any, fake: FakeFlows, tmp_path: Path
) -> None:
    reference = make_settings(fundflow_dir=tmp_path / "reference")
    await service.collect(reference, SystemClock(), years=10)
    fake.requests.clear()

    settings = make_settings(market_retry_attempts=2)
    fake.fail("binance", "500", times=4)  # both crypto series fail after their retries
    first = await service.collect(settings, SystemClock(), years=10)
    assert sorted(first.failed) == ["crypto/BTCUSDT", "crypto/ETHUSDT"]
    assert len(first.stored) == 23
    log = (settings.fundflow_dir / "errors.log").read_text()
    assert "crypto/BTCUSDT\tbinance" in log
    assert "HTTP 500" in log

    fake.requests.clear()
    second = await service.collect(settings, SystemClock(), years=10)
    assert sorted(second.stored) == ["crypto/BTCUSDT", "crypto/ETHUSDT"]
    assert {r.route for r in fake.requests} == {"binance"}
    assert len(second.up_to_date) == 23
    pd.testing.assert_frame_equal(rows(settings.fundflow_dir), rows(reference.fundflow_dir))

    fake.requests.clear()
    third = await service.collect(settings, SystemClock(), years=10)
    assert fake.requests == []
    assert third.stored == {}


def _cli(fake: FakeFlows, directory: Path, cwd: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **fake.env(),
        "FINSIGNAL_FUNDFLOW_DIR": str(directory),
        "FINSIGNAL_YAHOO_RATE_PER_S": "4",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "finsignal", "flows", "collect", "--years", "10"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_kill_9_mid_collection_resumes_without_fetching_twice(fake: FakeFlows, tmp_path: Path) -> None:
    fake.latency_s = 0.05
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    assert _cli(fake, reference, tmp_path).wait(timeout=120) == 0

    proc = _cli(fake, interrupted, tmp_path)
    tracker = interrupted / FILE_NAME
    deadline = time.monotonic() + 60
    done: dict[str, str] = {}
    while time.monotonic() < deadline and len(done) < 5:
        time.sleep(0.02)
        if tracker.exists():
            done = json.loads(tracker.read_text())["last_month"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    done = json.loads(tracker.read_text())["last_month"]
    assert 5 <= len(done) < 25, "the kill must land mid-collection"

    fake.requests.clear()
    finish = _cli(fake, interrupted, tmp_path)
    _out, err = finish.communicate(timeout=120)
    assert finish.returncode == 0, err.decode()[-2000:]
    fetched = {r.path.rsplit("/", 1)[-1] for r in fake.requests} | {
        r.query.get("symbol", r.query.get("series_id", r.query.get("by_code", ""))) for r in fake.requests
    }
    for key in done:
        series = key.split("/", 1)[1]
        if series.startswith("USD") or series == "EURUSD":
            continue  # ECB paths name currencies, checked by the tracker below
        assert series not in fetched, f"{key} was fetched again"
    assert len(json.loads(tracker.read_text())["last_month"]) == 25
    pd.testing.assert_frame_equal(rows(interrupted), rows(reference))
