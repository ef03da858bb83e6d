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
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.timeutil import ensure_utc
from core.types import DeliveryStatus, Fanout, Recipient
from storage.models import KEY, OutboxFanoutRow, OutboxRow
from storage.repos.base import Binder, chunked, insert_ignore_tuples, table_of
from storage.sqltypes import encode_json

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


def deferred(fanout: Fanout) -> bool:
    """Whether `fanout` goes in as one ledger row: its rows' keys need no hashing, so expansion can
    rebuild them from the key (a fan-out with a longer key is written as rows at once)."""
    return len(fanout.key) + 21 <= KEY


def ledger_rows(fanouts: Sequence[Fanout], now: datetime, bind: Binder) -> list[tuple[Any, ...]]:
    """One tuple per fan-out, values in `LEDGER` order; recipients as [chat, version, silent,
    premium, not_before ISO or null]."""
    created = bind("created_at", now)
    holds: dict[datetime, str] = {}
    rows: list[tuple[Any, ...]] = []
    for f in fanouts:
        entries = []
        premium = False
        for cid, version, silent, hold, paid in f.recipients:
            held = None if hold is None else holds.get(hold)
            if hold is not None and held is None:
                held = holds[hold] = ensure_utc(hold).isoformat()
            entries.append((cid, version, 1 if silent else 0, 1 if paid else 0, held))
            premium = premium or paid
        rows.append(
            (f.key, bind("kind", f.kind), f.event_id, bind("status", str(f.status)), f.note,
             encode_json(list(f.texts)), encode_json(list(f.markups)), encode_json(entries), len(entries),
             bind("premium", premium), created)
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
    return Fanout(
        key=row.key,
        texts=tuple(row.texts),
        markups=tuple(row.markups),
        recipients=_recipients(row.recipients, holds),
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
            mine = select(table).where(table.c.expanded_by == token).order_by(table.c.id)
            taken = (await conn.execute(mine)).all()
            holds: dict[str, datetime] = {}
            bind = Binder(table_of(OutboxRow), conn.dialect)
            for created, group in groupby(taken, key=lambda r: r.created_at):
                fanouts = [_to_fanout(r, holds) for r in group]
                tuples = fanout_rows(fanouts, created, bind)
                inserted += await insert_ignore_tuples(conn, OutboxRow, COLUMNS, tuples, 5000)
        if want is not None:
            left -= rows
    return inserted


async def only_new(session: AsyncSession, fanouts: Sequence[Fanout]) -> list[Fanout]:
    """`fanouts` without the recipients a stored fan-out of the same key already holds (or an earlier
    one of `fanouts`): what one row per recipient would have inserted."""
    table = table_of(OutboxFanoutRow)
    seen: dict[str, set[int]] = {}
    for part in chunked(sorted({f.key for f in fanouts}), 500):
        for key, entries in await session.execute(
            select(table.c.key, table.c.recipients).where(table.c.key.in_(part))
        ):
            seen.setdefault(key, set()).update(e[0] for e in entries)
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
    table = table_of(OutboxFanoutRow)
    found: set[str] = set()
    for part in chunked(list(wanted), 500):
        for key, entries in await session.execute(
            select(table.c.key, table.c.recipients).where(table.c.key.in_(part))
        ):
            chats = wanted[key]
            found.update(chats[e[0]] for e in entries if e[0] in chats)
    return found
