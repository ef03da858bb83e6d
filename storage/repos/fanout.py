"""The alert fan-out in the outbox: one `outbox_fanouts` row per alert at the bar close, and its
per-recipient outbox rows, built straight into driver-ready tuples, when a sender's claim expands it.

A bar close of 5,000 instruments makes tens of thousands of rows that differ only in their recipient.
The close writes one row per fan-out (its texts once, its recipients as one JSON list): that is what
makes the bar-to-outbox path fit 500 ms on MariaDB too (bench/README.md, "Stop 35"). A sender's claim
then expands whole fan-outs, those with premium recipients first, into ordinary outbox rows (texts,
keyboards, kinds and times bound once per fan-out or per distinct value, a row one tuple), a little
ahead of what it sends; every other reader of pending rows expands them all first. Expanded fan-outs
stay as the ledger of the (key, chat) pairs enqueued."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Select, Text, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.timeutil import ensure_utc
from core.types import DeliveryStatus, Fanout, Recipient
from storage.models import KEY, OutboxFanoutRow, OutboxRow
from storage.repos.base import Binder, chunked, insert_ignore_tuples, table_of
from storage.sqltypes import encode_floatless

LEDGER = (
    "key",
    "kind",
    "event_id",
    "status",
    "note",
    "texts",
    "markups",
    "recipients",
    "size",
    "premium",
    "created_at",
)
EXPAND_ROWS = 1000  # a claim expands whole fan-outs until at least this many rows (or its limit) are out
_ALL_ROWS = 20_000  # rows per transaction when every pending fan-out is expanded
_PAGE = 500  # fan-outs looked at per expansion step
_JSON = {"texts", "markups", "recipients"}  # read as text by the expansion: decoded row by row
logger = logging.getLogger(__name__)

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
        markups = [None if m is None else bind("reply_markup", encode_floatless(m)) for m in fanout.markups]
        long_keys = len(prefix) + 20 > KEY  # chat ids have at most 20 characters
        for cid, version, silent, hold, premium in fanout.recipients:
            key = dedup_key(f"{prefix}{cid}") if long_keys else f"{prefix}{cid}"
            held = None if hold is None else bind("not_before", hold)
            append(
                (key, cid, kind, texts[version], silents[silent], markups[version], status, 0, note, held,
                 created, event_id, premiums[premium])
            )  # fmt: skip
    return rows


def deferred(fanout: Fanout) -> bool:
    """Whether `fanout` goes in as one ledger row: its rows' keys need no hashing, so expansion can
    rebuild them from the key (a fan-out with a longer key is written as rows at once)."""
    return len(fanout.key) + 21 <= KEY


def ledger_rows(fanouts: Sequence[Fanout], now: datetime, bind: Binder) -> list[tuple[Any, ...]]:
    """One tuple per fan-out, values in `LEDGER` order; recipients as [chat, version, silent,
    premium, not_before ISO or null]."""
    created = bind("created_at", now)
    holds: dict[datetime | None, str | None] = {None: None}
    rows: list[tuple[Any, ...]] = []
    for f in fanouts:
        for r in f.recipients:
            if (hold := r[3]) is not None and hold not in holds:
                holds[hold] = ensure_utc(hold).isoformat()
        entries = [
            (cid, v, 1 if silent else 0, 1 if paid else 0, holds[hold])
            for cid, v, silent, hold, paid in f.recipients
        ]
        premium = any(r[4] for r in f.recipients)
        texts, markups = encode_floatless(list(f.texts)), encode_floatless(list(f.markups))
        rows.append(
            (f.key, bind("kind", f.kind), f.event_id, bind("status", str(f.status)), f.note,
             texts, markups, encode_floatless(entries), len(entries), bind("premium", premium), created)
        )  # fmt: skip
    return rows


def _recipients(entries: Sequence[Sequence[Any]], holds: dict[str, datetime]) -> list[Recipient]:
    out: list[Recipient] = []
    for cid, version, silent, paid, held in entries:
        hold = None if held is None else holds.get(held)
        if held is not None and hold is None:
            hold = holds[held] = datetime.fromisoformat(held)
        out.append((int(cid), int(version), bool(silent), hold, bool(paid)))
    return out


def _to_fanout(row: Any, holds: dict[str, datetime]) -> Fanout:
    """A stored fan-out from its raw row (JSON columns as text); ValueError if it is malformed."""
    try:
        texts, markups = tuple(json.loads(row.texts)), tuple(json.loads(row.markups))
        recipients = _recipients(json.loads(row.recipients), holds)
        if len(texts) != len(markups) or any(not 0 <= r[1] < len(texts) for r in recipients):
            raise ValueError("a recipient's version has no text")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"fan-out {row.id} ({row.key}) is malformed: {exc}") from exc
    return Fanout(
        key=row.key,
        texts=texts,
        markups=markups,
        recipients=recipients,
        event_id=row.event_id,
        kind=row.kind,
        status=DeliveryStatus(row.status),
        note=row.note,
    )


async def expand(sessions: async_sessionmaker[AsyncSession], want: int | None) -> int:
    """Write the outbox rows of pending fan-outs, those with premium recipients first, then oldest:
    whole fan-outs until `want` rows are out (every pending one with None). Outbox rows inserted.

    Each step reads candidates, then takes them in a transaction that starts with the guarded
    UPDATE (`expanded_by`), so two senders never expand one fan-out twice and SQLite takes its write
    lock before reading; the rows' unique keys keep even a repeat exactly once."""
    table = table_of(OutboxFanoutRow)
    pending = (
        select(table.c.id, table.c.size)
        .where(table.c.expanded_by.is_(None))
        .order_by(table.c.premium.desc(), table.c.id)
        .limit(_PAGE)
    )
    inserted = 0
    left = _ALL_ROWS if want is None else want
    while left > 0:
        async with sessions() as session:
            candidates = (await session.execute(pending)).all()
        if not candidates:
            break
        ids: list[int] = []
        rows = 0
        for fid, size in candidates:
            if ids and rows + size > max(left, size):
                break
            ids.append(fid)
            rows += size
        token = uuid.uuid4().hex
        async with sessions.begin() as session:
            conn = await session.connection()
            take = update(table).where(table.c.id.in_(ids), table.c.expanded_by.is_(None))
            await conn.execute(take.values(expanded_by=token))
            raw = [type_coerce(c, Text).label(c.name) if c.name in _JSON else c for c in table.c]
            mine = select(*raw).where(table.c.expanded_by == token).order_by(table.c.id)
            taken = (await conn.execute(mine)).all()
            holds: dict[str, datetime] = {}
            bind = Binder(table_of(OutboxRow), conn.dialect)
            for created, group in groupby(taken, key=lambda r: r.created_at):
                fanouts = []
                for row in group:  # a malformed one is logged and left out, the others go on
                    try:
                        fanouts.append(_to_fanout(row, holds))
                    except ValueError:
                        logger.exception("an alert fan-out cannot be delivered")
                tuples = fanout_rows(fanouts, created, bind)
                inserted += await insert_ignore_tuples(conn, OutboxRow, COLUMNS, tuples, 5000)
        if want is not None:
            left -= rows
    return inserted


def _ledger(keys: Sequence[str]) -> Select[Any]:
    table = table_of(OutboxFanoutRow)
    entries = type_coerce(table.c.recipients, Text)
    return select(table.c.key, entries).where(table.c.key.in_(keys))


def _chats(key: str, entries: str) -> list[int]:
    """The chat ids of a stored fan-out's recipients (none, logged, if the list is malformed)."""
    try:
        return [int(e[0]) for e in json.loads(entries)]
    except (TypeError, ValueError, IndexError):
        logger.error("alert fan-out %s: its recipients are malformed", key)
        return []


async def only_new(session: AsyncSession, fanouts: Sequence[Fanout]) -> list[Fanout]:
    """`fanouts` without the recipients a stored fan-out of the same key already holds (or an earlier
    one of `fanouts`): what one row per recipient would have inserted."""
    seen: dict[str, set[int]] = {}
    for part in chunked(sorted({f.key for f in fanouts})):
        for key, entries in await session.execute(_ledger(part)):
            seen.setdefault(key, set()).update(_chats(key, entries))
    out: list[Fanout] = []
    for f in fanouts:
        had = seen.setdefault(f.key, set())
        keep = [r for r in f.recipients if r[0] not in had]
        had.update(r[0] for r in keep)
        if keep:
            out.append(f if len(keep) == len(f.recipients) else replace(f, recipients=keep))
    return out


async def unexpanded(session: AsyncSession) -> int:
    """Pending deliveries in fan-outs not expanded yet."""
    table = table_of(OutboxFanoutRow)
    query = select(func.coalesce(func.sum(table.c.size), 0)).where(
        table.c.expanded_by.is_(None), table.c.status == str(DeliveryStatus.PENDING)
    )
    return int(await session.scalar(query) or 0)


async def ledger_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of the row keys `keys` (`{fan-out key}:{chat}`) a stored fan-out holds."""
    wanted: dict[str, dict[int, str]] = {}
    for key in keys:
        head, _, tail = key.rpartition(":")
        if head and tail.lstrip("-").isdigit():
            wanted.setdefault(head, {})[int(tail)] = key
    found: set[str] = set()
    for part in chunked(list(wanted)):
        for key, entries in await session.execute(_ledger(part)):
            chats = wanted[key]
            found.update(chats[c] for c in _chats(key, entries) if c in chats)
    return found
