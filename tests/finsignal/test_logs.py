"""Secrets never reach the log output."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from finsignal.logs import RedactingFilter, configure_logging, log_to_file_for_console

TOKEN = "123456789:AAH-secret-token-value"


@pytest.fixture
def restore_logging() -> object:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configured_secrets_and_bot_urls_are_redacted(
    restore_logging: object, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", [TOKEN, "krx-key-1234"])
    log = logging.getLogger("finsignal.test")
    log.info("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    log.warning("KRX said no to key %s", "krx-key-1234")
    log.info("other bot url https://example.org/bot987654:ZZZ-other/getMe")
    try:
        raise RuntimeError(f"connect failed for {TOKEN}")
    except RuntimeError:
        log.exception("request failed")
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert "krx-key-1234" not in err
    assert "ZZZ-other" not in err
    assert "/bot***/sendMessage" in err
    assert "request failed" in err
    assert "RuntimeError" in err  # the traceback is kept, only the secret is cut


def test_filter_keeps_ordinary_records() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "price %s for %s", (101.5, "AAPL"), None)
    assert RedactingFilter(["short"]).filter(record)
    assert record.getMessage() == "price 101.5 for AAPL"


def test_noisy_libraries_are_quiet(restore_logging: object) -> None:
    configure_logging("DEBUG")
    assert logging.getLogger("httpx").level == logging.WARNING  # the token is in every request URL


def test_console_mode_keeps_the_terminal_for_the_chat(
    restore_logging: object, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    configure_logging("INFO", [TOKEN])
    path = log_to_file_for_console(tmp_path / "var" / "console.log")
    assert path == tmp_path / "var" / "console.log"
    log = logging.getLogger("finsignal.test")
    log.info("job finalise_bars.us ok with token %s", TOKEN)
    log.warning("source yahoo: breaker open")
    err = capsys.readouterr().err
    assert "finalise_bars" not in err  # INFO: only in the file
    assert "breaker open" in err
    for h in logging.getLogger().handlers:
        h.flush()
    written = path.read_text(encoding="utf-8")
    assert "job finalise_bars.us ok with token ***" in written
    assert "breaker open" in written
    assert TOKEN not in written


def test_console_log_file_that_cannot_be_opened_leaves_logging_alone(
    restore_logging: object, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    configure_logging("INFO")
    blocker = tmp_path / "var"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    assert log_to_file_for_console(blocker / "console.log") is None
    logging.getLogger("finsignal.test").info("still on the terminal")
    assert "still on the terminal" in capsys.readouterr().err
