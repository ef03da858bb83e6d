"""The first minutes of finsignal, each in a fresh process, beside `python -c pass` measured in the same run.

    .venv/bin/python bench/startup.py [--skip-cold] [--idle-seconds 20]

(a) `finsignal --help`: wall time and peak RSS. Goal: under 0.3 s.
(b) `finsignal status --check` (the container health check) on a migrated SQLite file. Goal: under 1 s.
(c) the first indicator pass (engine + history + backtest kernels, `python -m finsignal.warm`) with an
    empty numba cache, then with the cache `make install` / the image build leave behind.
(d) an idle `finsignal run` (console mode, empty SQLite database, every outside URL pointing at a
    closed local port): resident memory after it settles. Goal: under 150 MB.
Wall times on a shared machine vary with its load: read them against the reference of the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
FINSIGNAL = [PY, "-m", "finsignal"]
CLOSED = "http://127.0.0.1:9"
URL_SETTINGS = [
    "TELEGRAM_BASE_URL", "YAHOO_BASE_URL", "KRX_BASE_URL", "ALPHAVANTAGE_BASE_URL", "EEX_BASE_URL",
    "FRED_BASE_URL", "ECB_BASE_URL", "BINANCE_BASE_URL", "OILPRICE_BASE_URL", "YAHOO_RSS_BASE_URL",
    "INVESTING_BASE_URL",
]  # fmt: skip


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINSIGNAL_")}
    env.update({f"FINSIGNAL_{name}": CLOSED for name in URL_SETTINGS})
    env.update(
        FINSIGNAL_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'finsignal.db'}",
        FINSIGNAL_DATA_DIR=str(tmp),
        FINSIGNAL_TELEGRAM_TOKEN="",
        FINSIGNAL_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def timed(cmd: list[str], env: dict[str, str], runs: int = 5) -> tuple[float, float]:
    """Median wall seconds and the peak RSS (MB) of `cmd` over `runs` fresh processes."""
    walls, peaks = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = psutil.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0.0
        while proc.poll() is None:
            try:
                peak = max(peak, proc.memory_info().rss / 2**20)
            except psutil.Error:
                break
            time.sleep(0.005)
        walls.append(time.perf_counter() - t0)
        peaks.append(peak)
        if proc.returncode not in (0, None):
            raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    return statistics.median(walls), max(peaks)


def idle_rss(env: dict[str, str], settle_s: float) -> float:
    """RSS (MB, process and children) of `finsignal run` in console mode once it has settled."""
    proc = psutil.Popen(
        [*FINSIGNAL, "run", "--console"], env=env, cwd=ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(settle_s)
        if proc.poll() is not None:
            raise SystemExit(f"finsignal run exited early with {proc.returncode}")
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except psutil.TimeoutExpired:
            proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-cold", action="store_true", help="skip the empty-numba-cache pass (slow)")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        env = env_for(tmp)
        subprocess.run([*FINSIGNAL, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        ref, ref_mb = timed([PY, "-c", "pass"], env)
        print(f"reference  python -c pass          {ref:6.3f} s  {ref_mb:6.1f} MB")
        t, mb = timed([*FINSIGNAL, "--help"], env)
        print(f"(a)        finsignal --help        {t:6.3f} s  {mb:6.1f} MB  (+{t - ref:.3f} s)")
        t, mb = timed([*FINSIGNAL, "status", "--check"], env)
        print(f"(b)        status --check          {t:6.3f} s  {mb:6.1f} MB  (+{t - ref:.3f} s)")
        warm_cmd = [PY, "-m", "finsignal.warm"]
        if not args.skip_cold:
            cold_env = env_for(tmp, NUMBA_CACHE_DIR=str(tmp / "numba-cold"))
            t, _ = timed(warm_cmd, cold_env, runs=1)
            print(f"(c) cold   first indicator pass    {t:6.1f} s  (empty numba cache)")
        cache = os.environ.get("NUMBA_CACHE_DIR")
        warm_env = env_for(tmp, **({"NUMBA_CACHE_DIR": cache} if cache else {}))
        timed(warm_cmd, warm_env, runs=1)  # make sure this cache is filled
        t, _ = timed(warm_cmd, warm_env, runs=3)
        print(f"(c) warm   first indicator pass    {t:6.1f} s  (cache from make install / image build)")
        mb = idle_rss(env, args.idle_seconds)
        print(f"(d)        idle finsignal run      {mb:6.1f} MB resident after {args.idle_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
