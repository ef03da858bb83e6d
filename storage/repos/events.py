"""Signal events and the outbox (alert deliveries: one row per recipient, and the alert fan-outs a
sender's claim expands into such rows, `storage.repos.fanout`)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.timeutil import ensure_utc, utcnow
from core.types import DeliveryStatus, Fanout, Interval, OutboxMessage, SignalEvent, SignalType, split_combo
from storage.models import OutboxFanoutRow, OutboxRow, SignalEventRow
from storage.repos.base import (
    CHUNK,
    Binder,
    Decoder,
    Repo,
    bound_rows,
    chunked,
    database_gone,
    insert_ignore_returning,
    insert_ignore_tuples,
    table_of,
)
from storage.repos.fanout import (
    COLUMNS,
    EXPAND_ROWS,
    LEDGER,
    dedup_key,
    deferred,
    expand,
    fanout_rows,
    ledger_keys,
    ledger_rows,
    only_new,
    unexpanded,
)
from storage.sqltypes import EncodedJSON, encode_floatless

logger = logging.getLogger(__name__)

ERROR_CHARS = 1000  # last_error is cut to this
_UNCLAIMED: dict[str, Any] = {
    "claimed_by": None,
    "claimed_at": None,
    "sending_at": None,
}  # a marked row is no longer in flight


def _to_event(row: SignalEventRow) -> SignalEvent:
    pair = split_combo(row.signal)
    return SignalEvent(
        symbol=row.symbol,
        signal=SignalType(row.signal) if pair is None else pair[0],
        pair=None if pair is None else pair[1],
        interval=Interval(row.interval),
        ts=row.ts,
        close=float(row.close),
        values={k: float(v) for k, v in (row.values or {}).items()},
        strength=float(row.strength),
        id=row.id,
    )


def _as_stored(event: SignalEvent, event_id: int) -> SignalEvent:
    """`event` as `_to_event` reads it back once stored under `event_id` (built, not `replace`d: a
    close stores thousands)."""
    return SignalEvent(
        symbol=event.symbol,
        signal=event.signal,
        interval=event.interval,
        ts=ensure_utc(event.ts),
        close=float(event.close),
        values={k: float(v) for k, v in event.values.items()},
        strength=float(event.strength),
        id=event_id,
        pair=event.pair,
    )


async def _insert_returning(
    conn: AsyncConnection, params: list[dict[str, Any]]
) -> dict[tuple[str, str, str, datetime], int]:
    """Multi-row INSERT-IGNORE ... RETURNING: the ids of exactly the rows this call inserted, by key
    (no read-back, no stamp to share with another writer)."""
    found: dict[tuple[str, str, str, datetime], int] = {}
    if not params:
        return found
    names, tuples = bound_rows(conn, SignalEventRow, params)
    c = table_of(SignalEventRow).c
    decode = Decoder([c.id, c.symbol, c.interval, c.signal, c.ts], conn.dialect)
    returned = await insert_ignore_returning(
        conn, SignalEventRow, names, tuples, [col.name for col in decode.columns]
    )
    for raw in returned:
        event_id, symbol, interval, signal, ts = decode(raw)
        found[(symbol, interval, signal, ensure_utc(ts))] = event_id
    return found


class _Ambiguous(Exception):
    """The set-based insert cannot tell its own rows apart (another writer used the same marker)."""


def _natural_key(event: SignalEvent) -> tuple[str, str, str, datetime]:
    return event.symbol, str(event.interval), event.name, ensure_utc(event.ts)


def _event_params(event: SignalEvent, now: datetime) -> dict[str, Any]:
    return {
        "symbol": event.symbol,
        "interval": str(event.interval),
        "signal": event.name,
        "ts": event.ts,
        "close": event.close,
        "strength": event.strength,
        "values": dict(event.values),
        "created_at": now,
    }


class SqlEventRepo(Repo):
    async def add_events(self, events: Sequence[SignalEvent]) -> list[SignalEvent]:
        """Insert each event unless (symbol, interval, signal, ts) exists; returns the new ones with ids
        (in input order; a key repeated within `events` counts once, its first occurrence).

        Set-based. Where the database has INSERT ... RETURNING (SQLite 3.35+, MariaDB 10.5+), multi-row
        INSERT-IGNOREs return the ids of exactly the rows they inserted, so a writer racing on the same
        events never makes both see one as new. Elsewhere (MySQL): chunked INSERT-IGNOREs stamped with
        this call's `created_at`, then one SELECT of those keys carrying the stamp; the inserted-row
        count must equal what the SELECT found, else (another call stored some of these keys with the
        very same stamp) the transaction is rolled back and redone row by row.
        """
        unique: dict[tuple[str, str, str, datetime], SignalEvent] = {}
        for event in events:
            unique.setdefault(_natural_key(event), event)
        if not unique:
            return []
        try:
            return await self._add_set_based(list(unique.values()))
        except _Ambiguous:
            logger.info("add_events: created_at stamp shared with another writer; inserting row by row")
            return await self._add_row_by_row(list(unique.values()))

    async def _add_set_based(self, events: list[SignalEvent]) -> list[SignalEvent]:
        now = utcnow()
        async with self._sessions.begin() as session:
            conn = await session.connection()
            # one key order for every writer: concurrent batches lock rows in the same order
            ordered = sorted(events, key=_natural_key)
            params = [_event_params(e, now) for e in ordered]
            if conn.dialect.insert_returning:  # the database says which rows this call inserted
                found = await _insert_returning(conn, params)
            else:
                found = await self._insert_then_select(conn, events, params, now)
        return [_as_stored(e, found[k]) for e in events if (k := _natural_key(e)) in found]

    async def _insert_then_select(
        self, conn: AsyncConnection, events: list[SignalEvent], params: list[dict[str, Any]], now: datetime
    ) -> dict[tuple[str, str, str, datetime], int]:
        """Without RETURNING (MySQL): insert, then select the keys carrying this call's stamp."""
        found: dict[tuple[str, str, str, datetime], int] = {}
        inserted = await self._insert_ignore_many(conn, SignalEventRow, params, CHUNK)
        if inserted == 0:
            return found
        wanted = {_natural_key(e) for e in events}
        c = table_of(SignalEventRow).c
        # the ids and keys alone: the rows hold what `events` hold (Core rows, decoded once per
        # distinct value)
        decode = Decoder([c.id, c.symbol, c.interval, c.signal, c.ts], conn.dialect)
        for part in chunked(events, CHUNK):
            query = select(*decode.columns).where(
                c.symbol.in_(sorted({e.symbol for e in part})),
                c.ts.in_(sorted({e.ts for e in part})),
                c.created_at == now,
            )
            for raw in await conn.execute(query):
                event_id, symbol, interval, signal, ts = decode(raw)
                if (key := (symbol, interval, signal, ensure_utc(ts))) in wanted:
                    found[key] = event_id
        if len(found) != inserted:
            raise _Ambiguous  # rolls the inserts back
        return found

    async def _add_row_by_row(self, events: list[SignalEvent]) -> list[SignalEvent]:
        """One INSERT-IGNORE per event; its rowcount says whether this call created it."""
        stmt = self._insert_ignore(SignalEventRow)
        created: list[SignalEvent] = []
        now = utcnow()
        async with self._sessions.begin() as session:
            for event in events:
                result = await session.execute(stmt, _event_params(event, now))
                if getattr(result, "rowcount", 0) != 1:
                    continue
                row = await session.scalar(
                    select(SignalEventRow).where(
                        SignalEventRow.symbol == event.symbol,
                        SignalEventRow.interval == str(event.interval),
                        SignalEventRow.signal == event.name,
                        SignalEventRow.ts == event.ts,
                    )
                )
                assert row is not None
                created.append(_to_event(row))
        return created

    async def list_events(
        self,
        symbol: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        *,
        interval: Interval | None = None,
    ) -> list[SignalEvent]:
        query = select(SignalEventRow).order_by(SignalEventRow.ts.desc(), SignalEventRow.id.desc())
        if interval is not None:
            query = query.where(SignalEventRow.interval == interval.value)
        if symbol is not None:
            query = query.where(SignalEventRow.symbol == symbol)
        if since is not None:
            query = query.where(SignalEventRow.ts >= since)
        async with self._sessions() as session:
            return [_to_event(row) for row in await session.scalars(query.limit(limit))]

    async def events_after(self, event_id: int, limit: int = 1000) -> list[SignalEvent]:
        """Events stored after `event_id` (by id), oldest first (issue 20: re-publishing)."""
        query = select(SignalEventRow).where(SignalEventRow.id > event_id).order_by(SignalEventRow.id)
        async with self._sessions() as session:
            return [_to_event(row) for row in await session.scalars(query.limit(limit))]


_CLAIM_ORDER = (OutboxRow.premium.desc(), OutboxRow.id)


def _to_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        chat_id=row.chat_id,
        dedup_key=row.dedup_key,
        text=row.text,
        kind=row.kind,
        event_id=row.event_id,
        silent=row.silent,
        reply_markup=row.reply_markup,
        photo=row.photo,
        thread_id=row.thread_id,
        not_before=row.not_before,
        premium=row.premium,
        id=row.id,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        message_id=row.message_id,
    )


def _outbox_params(message: OutboxMessage, now: datetime, markups: dict[int, EncodedJSON]) -> dict[str, Any]:
    """Column values of one outbox row; a reply markup shared by many rows (one rendered alert, many
    chats) is encoded once per batch (`markups`, by object identity)."""
    markup = message.reply_markup
    if markup is not None and (encoded := markups.get(id(markup))) is None:
        encoded = markups[id(markup)] = encode_floatless(markup)
    return {
        "dedup_key": dedup_key(message.dedup_key),
        "chat_id": message.chat_id,
        "kind": message.kind,
        "text": message.text,
        "silent": message.silent,
        "reply_markup": None if markup is None else encoded,
        "photo": message.photo,
        "thread_id": message.thread_id,
        "status": str(message.status),
        "attempts": message.attempts,
        "last_error": message.last_error,
        "not_before": message.not_before,
        "created_at": now,
        "sent_at": None,
        "message_id": message.message_id,
        "event_id": message.event_id,
        "premium": message.premium,
    }


def _without_photo(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k != "photo"}


class SqlOutboxRepo(Repo):
    async def enqueue(self, messages: Sequence[OutboxMessage]) -> int:
        """Insert messages, skipping dedup_keys already present (exactly-once fan-out)."""
        return await self.enqueue_fanouts((), messages)

    async def enqueue_fanouts(self, fanouts: Sequence[Fanout], messages: Sequence[OutboxMessage] = ()) -> int:
        """`enqueue` of `messages`, and each fan-out as one row (its recipients not yet enqueued under
        its key), in one transaction; the deliveries enqueued. The fan-outs' own rows are written when
        a sender claims (`claim_pending`), or at once for a key too long to rebuild row keys from."""
        now = utcnow()
        later = [f for f in fanouts if deferred(f)]
        if later:
            async with self._sessions() as session:  # read before the write transaction (SQLite)
                later = await only_new(session, later)
        inserted = 0
        async with self._sessions.begin() as session:
            conn = await session.connection()
            if messages:
                inserted += await self._insert_messages(conn, messages, now)
            if at_once := [f for f in fanouts if not deferred(f)]:
                rows = fanout_rows(at_once, now, Binder(table_of(OutboxRow), conn.dialect))
                inserted += await insert_ignore_tuples(conn, OutboxRow, COLUMNS, rows, 5000)
            if later:
                rows = ledger_rows(later, now, Binder(table_of(OutboxFanoutRow), conn.dialect))
                await insert_ignore_tuples(conn, OutboxFanoutRow, LEDGER, rows, 1000)
                inserted += sum(len(f.recipients) for f in later)
        return inserted

    async def expand_fanouts(self, rows: int | None = None) -> int:
        """Write the outbox rows of fan-outs not expanded yet (premium first, then oldest): whole
        fan-outs until `rows` are out, or all. Rows inserted."""
        return await expand(self._sessions, rows)

    async def _insert_messages(
        self, conn: AsyncConnection, messages: Sequence[OutboxMessage], now: datetime
    ) -> int:
        markups: dict[int, EncodedJSON] = {}  # the messages hold the markups alive: ids stay unique
        rows = (_outbox_params(m, now, markups) for m in messages)
        params = list({p["dedup_key"]: p for p in rows}.values())
        stmt = self._insert_ignore(OutboxRow)
        inserted = 0
        # Rows without a photo leave the column out: on MySQL the photo goes through UNHEX(%s),
        # and aiomysql turns an executemany into multi-row INSERTs only when VALUES holds plain
        # placeholders; with UNHEX it sent one INSERT per row (10,370 round trips for one bar).
        # Consecutive runs keep the input order (ids order a chat's messages).
        for has_photo, run in itertools.groupby(params, key=lambda p: p["photo"] is not None):
            if not has_photo:  # alerts: one prepared statement, bind processing per distinct value
                plain = [_without_photo(p) for p in run]
                inserted += await self._insert_ignore_many(conn, OutboxRow, plain)
                continue
            for chunk in chunked(list(run), 500):
                result = await conn.execute(stmt, list(chunk))
                inserted += max(result.rowcount, 0)
        return inserted

    async def claim_pending(
        self, now: datetime, limit: int = 100, *, owner: str | None = None
    ) -> list[OutboxMessage]:
        """Pending messages whose not_before has passed and that no sender has in flight: premium
        chats' first, then oldest first (under a backlog premium alerts do not wait behind free ones).

        With `owner`, the rows are claimed for it in the same transaction (`claimed_by`, `claimed_at`):
        in flight, so no later round of any sender takes them until they are marked or
        `recover_claims` finds their sender gone. The guarded UPDATE lets only one claimant win a row.

        Alert fan-outs not yet expanded are expanded first: by a claimant, whole fan-outs (premium
        first) until `max(limit, EXPAND_ROWS)` rows are out, a little ahead of what it sends; by a
        look without `owner`, all of them.
        """
        try:
            await expand(self._sessions, None if owner is None else max(limit, EXPAND_ROWS))
        except (SQLAlchemyError, ValueError, TypeError) as exc:  # one bad fan-out must not stop delivery
            if isinstance(exc, SQLAlchemyError) and database_gone(exc):
                raise  # the claim below would fail alike: the caller sees the database unavailable
            logger.exception("expanding alert fan-outs failed; claiming the rows already written")
        due = (
            OutboxRow.status == str(DeliveryStatus.PENDING),
            or_(OutboxRow.not_before.is_(None), OutboxRow.not_before <= now),
            OutboxRow.claimed_by.is_(None),
        )
        if owner is None:
            query = select(OutboxRow).where(*due).order_by(*_CLAIM_ORDER).limit(limit)
            async with self._sessions() as session:
                return [_to_message(row) for row in await session.scalars(query)]
        async with self._sessions.begin() as session:
            ids = list(
                await session.scalars(select(OutboxRow.id).where(*due).order_by(*_CLAIM_ORDER).limit(limit))
            )
            if not ids:
                return []
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids), *due)
                .values(claimed_by=owner, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            query = select(OutboxRow).where(OutboxRow.id.in_(ids), OutboxRow.claimed_by == owner)
            return [_to_message(row) for row in await session.scalars(query.order_by(*_CLAIM_ORDER))]

    async def mark_sending(self, message_ids: Sequence[int], now: datetime) -> None:
        """The sends of these claimed rows start now: from here on, a crash leaves them in flight."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(list(message_ids)))
                .values(sending_at=now)
                .execution_options(synchronize_session=False)
            )

    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], now: datetime) -> None:
        """`mark_sent` for several rows in one transaction and one executemany: (outbox id,
        Telegram message id) each."""
        if not sent:
            return
        stmt = (
            update(OutboxRow)
            .where(OutboxRow.id == bindparam("row_id"))
            .values(
                status=str(DeliveryStatus.SENT),
                sent_at=now,
                message_id=bindparam("telegram_id"),
                attempts=OutboxRow.attempts + 1,
                last_error="",
                **_UNCLAIMED,
            )
        )
        params = [{"row_id": row_id, "telegram_id": telegram_id} for row_id, telegram_id in sent]
        async with self._sessions.begin() as session:
            conn = await session.connection()
            await conn.execute(stmt, params)

    async def release(self, message_ids: Sequence[int]) -> None:
        """Claimed rows whose send never started: back to everyone, unchanged."""
        async with self._sessions.begin() as session:
            for part in chunked(list(message_ids), CHUNK):
                await session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(part), OutboxRow.sending_at.is_(None))
                    .values(**_UNCLAIMED)
                    .execution_options(synchronize_session=False)
                )

    async def recover_claims(
        self,
        *,
        keep: str,
        claimed_before: datetime | None = None,
        owner_prefix: str | None = None,
        resend: bool = True,
    ) -> int:
        """Rows left claimed by a sender that is gone (anyone but `keep`; optionally only claimed
        before `claimed_before`, or by owners starting with `owner_prefix`).

        Claimed rows whose send never started go back to pending unchanged. Rows whose send had
        started (`sending_at`) are in flight, and Telegram may have shown them: with `resend` they
        are pending again (at-least-once), else SKIPPED (at-most-once). Returns the in-flight count.
        """
        where = [
            OutboxRow.status == str(DeliveryStatus.PENDING),
            OutboxRow.claimed_by.is_not(None),
            OutboxRow.claimed_by != keep,
        ]
        if claimed_before is not None:
            where.append(OutboxRow.claimed_at <= claimed_before)
        if owner_prefix is not None:
            where.append(OutboxRow.claimed_by.startswith(owner_prefix, autoescape=True))
        in_flight: dict[str, Any] = dict(_UNCLAIMED)
        if not resend:
            in_flight.update(
                status=str(DeliveryStatus.SKIPPED),
                last_error="in flight when its sender stopped: not resent (at-most-once)",
            )
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxRow)
                .where(*where, OutboxRow.sending_at.is_(None))
                .values(**_UNCLAIMED)
                .execution_options(synchronize_session=False)
            )
            result = await session.execute(
                update(OutboxRow)
                .where(*where, OutboxRow.sending_at.is_not(None))
                .values(**in_flight)
                .execution_options(synchronize_session=False)
            )
            return max(getattr(result, "rowcount", 0), 0)

    async def count_in_flight(self) -> int:
        """Pending rows whose send has started and whose outcome is not stored yet."""
        query = select(func.count()).where(
            OutboxRow.status == str(DeliveryStatus.PENDING), OutboxRow.sending_at.is_not(None)
        )
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0)

    async def _update(self, row_id: int, /, **values: Any) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return max(getattr(result, "rowcount", 0), 0)

    async def mark_sent(self, message_id: int, telegram_message_id: int | None, now: datetime) -> None:
        await self._update(
            message_id,
            status=str(DeliveryStatus.SENT),
            sent_at=now,
            message_id=telegram_message_id,
            attempts=OutboxRow.attempts + 1,
            last_error="",
            **_UNCLAIMED,
        )

    async def mark_retry(
        self, message_id: int, error: str, not_before: datetime, *, count: bool = True
    ) -> None:
        """Pending again from `not_before`; `count=False` for a wait that was no failed attempt
        (a flood wait, a round's deadline)."""
        await self._update(
            message_id,
            attempts=OutboxRow.attempts + (1 if count else 0),
            last_error=error[:ERROR_CHARS],
            not_before=not_before,
            **_UNCLAIMED,
        )

    async def mark_failed(self, message_id: int, error: str, *, skipped: bool = False) -> None:
        """FAILED counts the attempt that failed; SKIPPED (nothing was sent) does not."""
        if skipped:
            await self._update(
                message_id, status=str(DeliveryStatus.SKIPPED), last_error=error[:ERROR_CHARS], **_UNCLAIMED
            )
        else:
            await self._update(
                message_id,
                status=str(DeliveryStatus.FAILED),
                attempts=OutboxRow.attempts + 1,
                last_error=error[:ERROR_CHARS],
                **_UNCLAIMED,
            )

    async def skip_chat(self, chat_id: int, reason: str) -> int:
        await expand(self._sessions, None)  # the chat's deliveries in fan-outs too
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxRow)
                .where(OutboxRow.chat_id == chat_id, OutboxRow.status == str(DeliveryStatus.PENDING))
                .values(status=str(DeliveryStatus.SKIPPED), last_error=reason[:ERROR_CHARS], **_UNCLAIMED)
                .execution_options(synchronize_session=False)
            )
            return max(getattr(result, "rowcount", 0), 0)

    async def count_pending(self) -> int:
        query = select(func.count()).where(OutboxRow.status == str(DeliveryStatus.PENDING))
        async with self._sessions() as session:
            return int(await session.scalar(query) or 0) + await unexpanded(session)

    async def existing_keys(self, keys: Sequence[str]) -> set[str]:
        wanted = {dedup_key(k): k for k in keys}
        found: set[str] = set()
        async with self._sessions() as session:
            for chunk in chunked(list(wanted)):
                rows = await session.scalars(
                    select(OutboxRow.dedup_key).where(OutboxRow.dedup_key.in_(chunk))
                )
                found.update(wanted[r] for r in rows)
            found |= await ledger_keys(session, keys)
        return found
