"""Logging set-up for the CLI: one format, noisy libraries quietened, secrets redacted from every record."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

_TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_HANDLER = "finsignal"  # the name of the stderr handler configure_logging installs


class RedactingFilter(logging.Filter):
    """Replace every configured secret (and any bot token inside a URL) with '***' in log records."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 4]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _TOKEN_IN_URL.sub("/bot***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr with timestamps; httpx/telegram/apscheduler at WARNING (the bot token is in URLs)."""
    handler = logging.StreamHandler()
    handler.name = _HANDLER
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in (
        "httpx",
        "httpcore",
        "telegram.ext.Updater",
        "apscheduler",
        "aiosqlite",
        "yfinance",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_to_file_for_console(path: Path) -> Path | None:
    """Console mode: the full log goes to `path`; the terminal, where the chat is, shows warnings and
    errors only. Returns the file, or None when the file cannot be opened (the log stays as it was)."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.name == _HANDLER]
    if not ours:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("log file %s not writable (%s): logging here", path, exc)
        return None
    to_file.setFormatter(logging.Formatter(_FORMAT))
    for f in ours[0].filters:  # the same secret redaction
        to_file.addFilter(f)
    root.addHandler(to_file)
    for h in ours:
        h.setLevel(logging.WARNING)
    return path
