"""The `finsignal` command line, end to end on a real SQLite database (no network)."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from finsignal.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean FINSIGNAL_* environment with the database in tmp_path; returns the database path."""
    for key in list(os.environ):
        if key.startswith("FINSIGNAL_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "finsignal.db"
    monkeypatch.setenv("FINSIGNAL_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    # every outside system points at a closed loopback port: nothing can leave the machine
    for var in ("YAHOO", "KRX", "ALPHAVANTAGE", "EEX", "YAHOO_RSS", "INVESTING"):
        monkeypatch.setenv(f"FINSIGNAL_{var}_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("FINSIGNAL_MARKET_RETRY_ATTEMPTS", "1")
    return db


def _goog_csv(path: Path) -> Path:
    from backtesting.test import GOOG

    frame = GOOG.reset_index().rename(columns={"index": "Date"})
    frame["Date"] = frame["Date"].dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["chat"],
        ["backtest"],
        ["export-features"],
        ["fetch"],
        ["import-csv"],
        ["db"],
        ["db", "upgrade"],
        ["status"],
        ["replay"],
    ],
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*command, "--help"])
    assert info.value.code == 0
    assert "usage: finsignal" in capsys.readouterr().out


def test_usage_errors_exit_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["fetch", "AAPL", "--years", "-3"])
    assert info.value.code == 2
    assert "positive" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["replay", "AAPL", "--from", "yesterday"])
    assert info.value.code == 2


def test_invalid_setting_exits_2_with_one_line(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FINSIGNAL_ADMIN_IDS", "root")
    assert main(["status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "FINSIGNAL_ADMIN_IDS" in err


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("FINSIGNAL_DATABASE_URL", "nonsense://x", "sqlite+aiosqlite:///"),  # a URL: unknown scheme
        ("FINSIGNAL_DATABASE_URL", "var/finsignal.db", "mysql+aiomysql://"),  # a URL: no scheme
        ("FINSIGNAL_TELEGRAM_BASE_URL", "notaurl", "http(s) URL"),  # an outside system's URL
        ("FINSIGNAL_YAHOO_BASE_URL", "ftp://example.com", "http(s) URL"),
        ("FINSIGNAL_NEWS_FEEDS", "https://ok.example/rss,feed.xml", "http(s) URL"),  # a list of URLs
        ("FINSIGNAL_PREMIUM_CHANNEL_ID", "@channel", "integer"),  # an id
        ("FINSIGNAL_RATINGS_TIME", "5am", "HH:MM"),  # a time
        ("FINSIGNAL_BRIEFING_TIMES", "08:00,24:30", "HH:MM"),
        ("FINSIGNAL_DATA_DIR", "README.md", "not a directory"),  # a path
        ("FINSIGNAL_WEBHOOK_PORT", "70000", "65535"),  # a number out of range
        ("FINSIGNAL_TELEGRAM_MODE", "push", "polling"),  # a choice
        ("FINSIGNAL_TELEGRAM_TOKEN", "AAF-no-bot-id", "123456789:"),  # a key of a known form
        ("FINSIGNAL_FRED_KEY", "abc def", "no spaces"),  # a key pasted with a space
        ("FINSIGNAL_FUNDFLOW_DIR", "README.md", "not a directory"),  # another path
        ("FINSIGNAL_API_CORS_ORIGINS", "dashboard.example", "http(s) URL"),  # a list of origins
    ],
)
def test_each_kind_of_bad_setting_is_one_line_naming_it_and_exit_2(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    expected: str,
) -> None:
    (env.parent / "README.md").write_text("a file, not a directory", encoding="utf-8")
    monkeypatch.setenv(variable, value)
    assert main(["status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert err.startswith(f"finsignal: configuration error: {variable} is invalid")
    assert expected in err
    assert "Traceback" not in err
    if variable.endswith(("_TOKEN", "_KEY")):
        assert value not in err  # a secret is never echoed, not even a malformed one


def test_status_on_a_new_database_says_how_to_create_it(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert "database is new" in out
    assert "finsignal db upgrade" in out
    assert "no such table" not in out


def test_unreachable_database_is_one_clear_line_without_password(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FINSIGNAL_DATABASE_URL", "mysql+aiomysql://bob:hunter2secret@127.0.0.1:9/finsignal")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert "database unavailable" in err
    assert "hunter2secret" not in err
    assert "Traceback" not in err


def test_db_upgrade_then_status(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert env.exists()
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["database"]["ok"] is True
    assert report["outbox_pending"] == 0
    assert report["process"]["rss_mb"] > 0
    assert main(["status", "--check"]) == 0


def test_chat_answers_help_and_commands(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("/help\n/watch KAU25\n/watchlist\n/nonsense\n"))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "/price SYMBOL" in out
    assert "KAU25" in out
    assert "Watchlist" in out


def test_import_backtest_replay_on_real_history(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _goog_csv(tmp_path / "GOOG.csv")
    assert main(["import-csv", str(csv)]) == 0
    assert "GOOG.csv: 2148 stored, 0 rejected, 0 repaired for GOOG" in capsys.readouterr().out

    out_json = tmp_path / "goog.json"
    assert main(["backtest", "GOOG", "--years", "10", "--horizons", "5,20", "--json", str(out_json)]) == 0
    records = json.loads(out_json.read_text(encoding="utf-8"))
    rows = records["records"] if isinstance(records, dict) else records
    assert {r["horizon"] for r in rows} == {5, 20}
    assert {r["symbol"] for r in rows} == {"GOOG"}
    assert all("median_drawdown" in r for r in rows)
    capsys.readouterr()

    # issue 24: combinations and the training-data export from the stored history
    combos_json = tmp_path / "c.json"
    assert main(["backtest", "GOOG", "--horizons", "5,20", "--combinations", "--json", str(combos_json)]) == 0
    out = capsys.readouterr().out
    assert "tried" in out
    assert "saved the combinations study:" in out  # what /watch SYMBOL combo:A+B accepts
    assert json.loads((tmp_path / "c-combinations.json").read_text(encoding="utf-8"))["tried"] > 0
    assert main(["export-features", "GOOG", "--out", str(tmp_path), "--horizons", "5"]) == 0
    assert "GOOG.parquet (2148 bars" in capsys.readouterr().out
    assert (tmp_path / "GOOG.parquet").stat().st_size > 0

    # the ratings are stored and the replay renders alerts carrying them
    assert main(["replay", "GOOG", "--from", "2012-01-01", "--to", "2013-12-31"]) == 0
    out = capsys.readouterr().out
    assert "replayed" in out
    assert "KST" in out
    assert "close 16:00 New York" in out
    assert "grade" in out.lower()


def test_backtest_unknown_or_empty_symbol_is_a_usage_error(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", "NOPE!!"]) == 2
    captured = capsys.readouterr()
    assert "malformed symbol" in captured.out + captured.err
    assert main(["backtest", "ZZZZ"]) == 2  # well-formed, but nothing stored and no source reachable
    captured = capsys.readouterr()
    assert "ZZZZ" in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err


def test_console_entry_point_runs_without_token(env: Path) -> None:
    """`python -m finsignal run` with no token starts console mode and answers /help."""
    proc = subprocess.run(
        [sys.executable, "-m", "finsignal", "run"],
        input="/help\n",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
        cwd=env.parent,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "console mode" in proc.stdout
    assert "/watch SYMBOL" in proc.stdout


def test_console_watch_brings_the_track_record_within_seconds(env: Path, tmp_path: Path) -> None:
    """`finsignal run` in console mode (bot + scheduler): /watch of a symbol with stored history has
    it rated in the background, so /signals shows grades without waiting for the daily run."""
    assert main(["import-csv", str(_goog_csv(tmp_path / "GOOG.csv"))]) == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "finsignal", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=env.parent,
        env={**os.environ, "FINSIGNAL_JOB_STAGGER_SECONDS": "1", "FINSIGNAL_CATCH_UP_HOURS": "0"},
    )
    assert proc.stdin is not None
    rated = 0
    try:
        proc.stdin.write("/watch GOOG\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 240  # first backtest may compile numba kernels
        while not rated and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            with sqlite3.connect(env) as con:
                rated = con.execute("SELECT COUNT(*) FROM ratings WHERE symbol = 'GOOG'").fetchone()[0]
        proc.stdin.write("/signals GOOG\n")
        out, err = proc.communicate(timeout=120)  # end of input ends console mode
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert rated > 0, err[-3000:]
    assert proc.returncode == 0, err[-3000:]
    assert "Watching <b>GOOG</b>" in out or "Watching GOOG" in out
    signals = out[out.index("GOOG signals") :]
    assert "No backtest ratings yet" not in signals
    assert "grade" in signals
