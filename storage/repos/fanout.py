"""The alert fan-out's outbox rows, built straight into driver-ready tuples (`enqueue_fanouts`).

A bar close of 5,000 instruments makes tens of thousands of rows that differ only in their
recipient: the texts, keyboards, kinds and times are bound once per fan-out or once per distinct
value, and a row is one tuple (bench/README.md, "Stop 34")."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.types import Fanout
from storage.models import KEY
from storage.repos.base import Binder
from storage.sqltypes import encode_json

COLUMNS = (
    "dedup_key",
    "chat_id",
    "kind",
    "text",
    "silent",
    "reply_markup",
    "status",
    "attempts",
    "last_error",
    "not_before",
    "created_at",
    "event_id",
    "premium",
)


def dedup_key(key: str) -> str:
    """Keys longer than the indexed column are replaced by their SHA-256 (still unique, stable)."""
    if len(key) <= KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def fanout_rows(fanouts: Sequence[Fanout], now: datetime, bind: Binder) -> list[tuple[Any, ...]]:
    """One tuple per recipient, values in `COLUMNS` order, in fan-out then recipient order."""
    created = bind("created_at", now)
    silents = {False: bind("silent", False), True: bind("silent", True)}
    premiums = {False: bind("premium", False), True: bind("premium", True)}
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    for fanout in fanouts:
        kind, event_id, prefix = bind("kind", fanout.kind), fanout.event_id, f"{fanout.key}:"
        status, note = bind("status", str(fanout.status)), bind("last_error", fanout.note)
        texts = [bind("text", t) for t in fanout.texts]
        markups = [None if m is None else bind("reply_markup", encode_json(m)) for m in fanout.markups]
        long_keys = len(prefix) + 20 > KEY  # chat ids have at most 20 characters
        for cid, version, silent, hold, premium in fanout.recipients:
            key = dedup_key(f"{prefix}{cid}") if long_keys else f"{prefix}{cid}"
            held = None if hold is None else bind("not_before", hold)
            append(
                (key, cid, kind, texts[version], silents[silent], markups[version], status, 0, note, held,
                 created, event_id, premiums[premium])
            )  # fmt: skip
    return rows
