"""`resume_tracker.json`: the last month stored per series, written atomically after each store.

A series is written to Parquet first and recorded here second, so a kill between the two re-fetches
only that one series (the merge drops the duplicate months); a recorded month is never fetched again.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date
from pathlib import Path

logger = logging.getLogger(__name__)

FILE_NAME = "resume_tracker.json"


class ResumeTracker:
    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME
        self._last: dict[str, date] = self._load()

    def last(self, key: str) -> date | None:
        return self._last.get(key)

    def all(self) -> dict[str, date]:
        return dict(self._last)

    def record(self, key: str, month: date) -> None:
        self._last[key] = max(month, self._last.get(key, month))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {"version": 1, "last_month": {k: v.isoformat() for k, v in sorted(self._last.items())}}
        )
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def _load(self) -> dict[str, date]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))["last_month"]
            return {str(k): date.fromisoformat(v) for k, v in raw.items()}
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning(
                "fundflow: %s unusable (%s); starting over (stored months are merged)", self.path, exc
            )
            return {}
