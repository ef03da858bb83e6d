"""Chats and their watches."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Text, delete, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import StorageError
from core.timeutil import utcnow
from core.types import (
    ALL_SIGNALS,
    Chat,
    ChatKind,
    DeliveryStatus,
    Interval,
    Language,
    QuietMode,
    SignalType,
    Tier,
    Watch,
    WatcherGroup,
    split_combo,
)
from storage.models import ChatRow, OutboxRow, UserAlertRow, WatchRow
from storage.repos.base import Repo, chunked, table_of
from storage.repos.fanout import expand
from storage.repos.versions import WATCHERS, VersionedCache, bump
from storage.sqltypes import list_pattern, split_list

_KNOWN = {s.value: s for s in SignalType}


# "all" as stored before the Bollinger, 52-week and pattern signals (issue 24) and the flow signals
# (issue 21) existed: the seven original types; such a chat or watch wants every type today
_OLD_ALL = frozenset(list(SignalType)[:7])


@functools.lru_cache(maxsize=4096)
def _signal_set(values: tuple[str, ...]) -> frozenset[SignalType]:
    found = frozenset(_KNOWN[v] for v in values if v in _KNOWN)
    return ALL_SIGNALS if found == _OLD_ALL else found


def _signals(values: Iterable[str]) -> frozenset[SignalType]:
    """Known signal types only: a value dropped from the code must not break reading old rows.
    (Cached: a few distinct sets are read back thousands of times in an alert fan-out.)"""
    return _signal_set(tuple(values))


_INTERVALS = {m.value: m for m in Interval}
_DAILY = frozenset({Interval.D1})


@functools.lru_cache(maxsize=64)
def _intervals(values: tuple[str, ...] | None) -> frozenset[Interval]:
    """The watch's timeframes; a row from before timeframes existed (empty) watches daily bars."""
    found = frozenset(_INTERVALS[v] for v in values or () if v in _INTERVALS)
    return found or _DAILY


def _stored(signals: Iterable[SignalType]) -> tuple[str, ...]:
    return tuple(sorted(str(s) for s in signals))


@functools.lru_cache(maxsize=4096)
def _combo_set(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v for v in values if split_combo(v) is not None)


def _combos(values: Iterable[str]) -> frozenset[str]:
    """Watched combinations (`combo:A+B`), stored in the watch's signals column beside the types."""
    return _combo_set(tuple(values))


# stored value -> member by dict lookup (an Enum call costs more; the fan-out converts every watcher)
_KINDS = {m.value: m for m in ChatKind}
_TIERS = {m.value: m for m in Tier}
_LANGUAGES = {m.value: m for m in Language}
_QUIET_MODES = {m.value: m for m in QuietMode}


def _member[E](members: dict[str, E], enum: Callable[[str], E], value: str) -> E:
    found = members.get(value)
    return enum(value) if found is None else found  # unknown: the Enum's own ValueError


def to_chat(row: ChatRow) -> Chat:
    return Chat(
        chat_id=row.chat_id,
        kind=_member(_KINDS, ChatKind, row.kind),
        title=row.title,
        tier=_member(_TIERS, Tier, row.tier),
        language=_member(_LANGUAGES, Language, row.language),
        timezone=row.timezone,
        active=row.active,
        silent=row.silent,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        quiet_mode=_member(_QUIET_MODES, QuietMode, row.quiet_mode),
        signals=_signals(row.signals),
        news_alerts=row.news_alerts,
    )


def _chat_of(
    chat_id: int,
    kind: str,
    title: str,
    tier: str,
    language: str,
    timezone: str,
    active: bool,
    silent: bool,
    quiet_start: int | None,
    quiet_end: int | None,
    quiet_mode: str,
    signals: str | None,
    news_alerts: bool,
) -> Chat:
    """`to_chat` from plain column values, the lists as stored (`list_watchers_many`)."""
    return Chat(
        chat_id,
        _member(_KINDS, ChatKind, kind),
        title,
        _member(_TIERS, Tier, tier),
        _member(_LANGUAGES, Language, language),
        timezone,
        active,
        silent,
        quiet_start,
        quiet_end,
        _member(_QUIET_MODES, QuietMode, quiet_mode),
        _stored_signals(signals),
        news_alerts,
    )


def _watch_of(
    chat_id: int, symbol: str, signals: str | None, muted: str | None, intervals: str | None
) -> Watch:
    return Watch(
        chat_id,
        symbol,
        _stored_signals(signals),
        _stored_signals(muted),
        _stored_intervals(intervals),
        _stored_combos(signals),
    )


@functools.lru_cache(maxsize=4096)
def _stored_signals(text: str | None) -> frozenset[SignalType]:
    return _signals(split_list(text) if text else ())


@functools.lru_cache(maxsize=64)
def _stored_intervals(text: str | None) -> frozenset[Interval]:
    return _intervals(split_list(text) if text else None)


@functools.lru_cache(maxsize=4096)
def _stored_combos(text: str | None) -> frozenset[str]:
    return _combos(split_list(text) if text else ())


def to_watch(row: WatchRow) -> Watch:
    return Watch(
        chat_id=row.chat_id,
        symbol=row.symbol,
        signals=_signals(row.signals),
        muted=_signals(row.muted),
        intervals=_intervals(row.intervals),
        combos=_combos(row.signals),
    )


_CHAT_FIELDS = (
    "kind",
    "title",
    "tier",
    "language",
    "timezone",
    "active",
    "silent",
    "quiet_start",
    "quiet_end",
    "quiet_mode",
    "signals",
    "news_alerts",
)


class SqlChatRepo(Repo):
    async def upsert_chat(self, chat: Chat) -> Chat:
        now = utcnow()
        params = {
            "chat_id": chat.chat_id,
            "kind": str(chat.kind),
            "title": chat.title[:255],
            "tier": str(chat.tier),
            "language": str(chat.language),
            "timezone": chat.timezone,
            "active": chat.active,
            "silent": chat.silent,
            "quiet_start": chat.quiet_start,
            "quiet_end": chat.quiet_end,
            "quiet_mode": str(chat.quiet_mode),
            "signals": _stored(chat.signals),
            "news_alerts": chat.news_alerts,
            "created_at": now,
            "updated_at": now,
        }
        stmt = self._upsert(ChatRow, ["chat_id"], [*_CHAT_FIELDS, "updated_at"])
        async with self._sessions.begin() as session:
            await session.execute(stmt, params)
            await bump(session, WATCHERS)
            row = await session.get(ChatRow, chat.chat_id, populate_existing=True)
            assert row is not None
            return to_chat(row)

    async def get_chat(self, chat_id: int) -> Chat | None:
        async with self._sessions() as session:
            row = await session.get(ChatRow, chat_id)
            return None if row is None else to_chat(row)

    async def list_chats(self, *, active_only: bool = True, tier: str | None = None) -> list[Chat]:
        query = select(ChatRow).order_by(ChatRow.chat_id)
        if active_only:
            query = query.where(ChatRow.active.is_(True))
        if tier is not None:
            query = query.where(ChatRow.tier == str(tier))
        async with self._sessions() as session:
            return [to_chat(row) for row in await session.scalars(query)]

    async def set_active(self, chat_id: int, active: bool) -> None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ChatRow)
                .where(ChatRow.chat_id == chat_id, ChatRow.active.is_not(active))
                .values(active=active, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0):
                await bump(session, WATCHERS)

    async def migrate_chat(self, old_id: int, new_id: int) -> None:
        """Move the chat to `new_id` (a group became a supergroup) with its watches and pending
        outbox rows, in one transaction. The old row stays, inactive. Watches the new chat already
        has win over the old ones."""
        if old_id == new_id:
            return
        now = utcnow()
        await expand(self._sessions, None)  # its deliveries in alert fan-outs become rows to move
        async with self._sessions.begin() as session:
            old = await session.get(ChatRow, old_id)
            if old is None:
                return
            new = await session.get(ChatRow, new_id)
            if new is None:
                kind = ChatKind.SUPERGROUP if old.kind == ChatKind.GROUP else old.kind
                values = {f: getattr(old, f) for f in _CHAT_FIELDS}
                session.add(
                    ChatRow(chat_id=new_id, **{**values, "kind": str(kind)}, created_at=now, updated_at=now)
                )
                await session.flush()
            # MySQL cannot UPDATE a table filtered by a subquery on itself: read the symbols first.
            taken = list(await session.scalars(select(WatchRow.symbol).where(WatchRow.chat_id == new_id)))
            await session.execute(
                update(WatchRow)
                .where(WatchRow.chat_id == old_id, WatchRow.symbol.not_in(taken))
                .values(chat_id=new_id)
                .execution_options(synchronize_session=False)
            )
            await session.execute(delete(WatchRow).where(WatchRow.chat_id == old_id))
            await _move_user_alerts(session, old_id, new_id)
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.chat_id == old_id, OutboxRow.status == str(DeliveryStatus.PENDING))
                .values(chat_id=new_id)
                .execution_options(synchronize_session=False)
            )
            old.active = False
            old.updated_at = now
            await session.flush()
            await bump(session, WATCHERS)


async def _move_user_alerts(session: AsyncSession, old_id: int, new_id: int) -> None:
    """Own alerts (issue 24) follow a migrated chat; ones the new chat already has stay its own."""
    cols = (UserAlertRow.symbol, UserAlertRow.rule, UserAlertRow.level)
    taken = {tuple(r) for r in await session.execute(select(*cols).where(UserAlertRow.chat_id == new_id))}
    for row in list(await session.scalars(select(UserAlertRow).where(UserAlertRow.chat_id == old_id))):
        if (row.symbol, row.rule, row.level) in taken:
            await session.delete(row)
        else:
            row.chat_id = new_id


class SqlWatchRepo(Repo):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str) -> None:
        super().__init__(sessions, dialect)
        self._groups: VersionedCache[dict[str, list[WatcherGroup]]] = VersionedCache(WATCHERS)

    async def upsert_watch(self, watch: Watch) -> None:
        """Create or replace the watch; the chat must exist (StorageError otherwise)."""
        params = {
            "chat_id": watch.chat_id,
            "symbol": watch.symbol,
            "signals": _stored(watch.signals) + tuple(sorted(watch.combos)),
            "muted": _stored(watch.muted),
            "intervals": tuple(sorted(str(i) for i in watch.intervals)),
            "created_at": utcnow(),
        }
        stmt = self._upsert(WatchRow, ["chat_id", "symbol"], ["signals", "muted", "intervals"])
        try:
            async with self._sessions.begin() as session:
                await session.execute(stmt, params)
                await bump(session, WATCHERS)
        except IntegrityError as exc:
            raise StorageError(f"cannot watch {watch.symbol} for unknown chat {watch.chat_id}") from exc

    async def remove_watch(self, chat_id: int, symbol: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(WatchRow).where(WatchRow.chat_id == chat_id, WatchRow.symbol == symbol)
            )
            removed = bool(getattr(result, "rowcount", 0))
            if removed:
                await bump(session, WATCHERS)
            return removed

    async def list_watches(self, chat_id: int) -> list[Watch]:
        query = select(WatchRow).where(WatchRow.chat_id == chat_id).order_by(WatchRow.symbol)
        async with self._sessions() as session:
            return [to_watch(row) for row in await session.scalars(query)]

    async def list_watchers(self, symbol: str) -> list[tuple[Chat, Watch]]:
        query = (
            select(ChatRow, WatchRow)
            .join(WatchRow, WatchRow.chat_id == ChatRow.chat_id)
            .where(WatchRow.symbol == symbol, ChatRow.active.is_(True))
            .order_by(ChatRow.chat_id)
        )
        async with self._sessions() as session:
            result = await session.execute(query)
            return [(to_chat(chat), to_watch(watch)) for chat, watch in result]

    async def list_watchers_many(self, symbols: Iterable[str]) -> dict[str, list[tuple[Chat, Watch]]]:
        found: dict[str, list[tuple[Chat, Watch]]] = {}
        chats: dict[int, Chat] = {}
        async with self._sessions() as session:
            rows = await _watcher_rows(session, sorted(set(symbols)))
        for symbol, chat_id, watch_cols, chat_cols in rows:
            chat = chats.get(chat_id)
            if chat is None:
                chat = chats[chat_id] = _chat_of(chat_id, *chat_cols)
            found.setdefault(symbol, []).append((chat, _watch_of(chat_id, symbol, *watch_cols)))
        return found

    async def list_watcher_groups(self, symbols: Iterable[str]) -> dict[str, list[WatcherGroup]]:
        wanted = sorted(set(symbols))
        async with self._sessions() as session:
            held = await self._groups.current(session)
            if held is not None:  # kept by `cache_watcher_groups` and still current
                return {s: held[s] for s in wanted if s in held}
            return _grouped(await _watcher_rows(session, wanted))

    async def cache_watcher_groups(self) -> int:
        async def load(session: AsyncSession) -> dict[str, list[WatcherGroup]]:
            return _grouped(await _watcher_rows(session, None))

        held = await self._groups.refresh(self._sessions, load)
        return sum(len(g.chat_ids) for groups in held.values() for g in groups)

    async def list_watched_symbols(self, interval: Interval | None = None) -> list[str]:
        query = (
            select(WatchRow.symbol)
            .join(ChatRow, WatchRow.chat_id == ChatRow.chat_id)
            .where(ChatRow.active.is_(True))
            .distinct()
            .order_by(WatchRow.symbol)
        )
        if interval is not None and interval is not Interval.D1:  # rows from before timeframes: daily
            query = query.where(
                type_coerce(WatchRow.intervals, Text).like(list_pattern(interval.value), escape="\\")
            )
        async with self._sessions() as session:
            return list(await session.scalars(query))


async def _watcher_rows(
    session: AsyncSession, symbols: Sequence[str] | None
) -> list[tuple[str, int, tuple[Any, ...], tuple[Any, ...]]]:
    """(symbol, chat id, the watch's stored lists, the chat's other columns) of every active chat
    watching `symbols` (None: any symbol), by symbol and chat id: plain columns, lists as their stored
    text (decoded once per distinct value), for the alert fan-out's thousands of watches at once."""
    w, c = table_of(WatchRow).c, table_of(ChatRow).c
    text = [
        type_coerce(col, Text).label(f"{col.table.name}_{col.name}")
        for col in (w.signals, w.muted, w.intervals, c.signals)
    ]
    columns = (
        w.symbol, c.chat_id, *text[:3], c.kind, c.title, c.tier, c.language, c.timezone, c.active,
        c.silent, c.quiet_start, c.quiet_end, c.quiet_mode, text[3], c.news_alerts,
    )  # fmt: skip
    base = select(*columns).join(ChatRow, WatchRow.chat_id == ChatRow.chat_id).where(ChatRow.active.is_(True))
    queries = [base] if symbols is None else [base.where(WatchRow.symbol.in_(p)) for p in chunked(symbols)]
    out: list[tuple[str, int, tuple[Any, ...], tuple[Any, ...]]] = []
    conn = await session.connection()  # Core rows: no ORM loading machinery per row
    for query in queries:  # ordered here, not by a sort in the database
        out += [(r[0], r[1], tuple(r[2:5]), tuple(r[5:])) for r in await conn.execute(query)]
    out.sort(key=itemgetter(0, 1))
    return out


def _grouped(
    rows: Sequence[tuple[str, int, tuple[Any, ...], tuple[Any, ...]]],
) -> dict[str, list[WatcherGroup]]:
    """Watcher rows as groups of chats alike, by symbol. One dict lookup per row: the chats of a group
    share every stored setting but id and title."""
    groups: dict[tuple[Any, ...], WatcherGroup] = {}
    found: dict[str, list[WatcherGroup]] = {}
    for symbol, chat_id, watch_cols, chat_cols in rows:
        key = (symbol, watch_cols, chat_cols[0], *chat_cols[2:])  # without the title
        group = groups.get(key)
        if group is None:
            chat, watch = _chat_of(chat_id, *chat_cols), _watch_of(chat_id, symbol, *watch_cols)
            group = groups[key] = WatcherGroup(chat, watch, [])
            found.setdefault(symbol, []).append(group)
        group.chat_ids.append(chat_id)
    return found
