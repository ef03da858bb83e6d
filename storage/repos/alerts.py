"""Chats' own alerts (issue 24): stored per chat, limited in number per chat."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update

from core.timeutil import utcnow
from core.types import AlertRule, UserAlert
from storage.models import ChatRow, UserAlertRow
from storage.repos.base import Repo, chunked


def _alert(row: UserAlertRow) -> UserAlert:
    return UserAlert(
        chat_id=row.chat_id,
        symbol=row.symbol,
        rule=AlertRule(row.rule),
        level=float(row.level),
        armed=row.armed,
        created_at=row.created_at,
        fired_at=row.fired_at,
        id=row.id,
    )


_CHUNK = 500  # symbols per IN list


class SqlUserAlertRepo(Repo):
    async def add_alert(self, alert: UserAlert, *, limit: int) -> UserAlert | None:
        """Checked and inserted in one transaction (the chat's row is locked on MariaDB, so two
        concurrent `/alert`s cannot both pass the limit)."""
        same = (
            UserAlertRow.chat_id == alert.chat_id,
            UserAlertRow.symbol == alert.symbol,
            UserAlertRow.rule == str(alert.rule),
            UserAlertRow.level == alert.level,
        )
        async with self._sessions.begin() as session:
            await session.scalar(
                select(ChatRow.chat_id).where(ChatRow.chat_id == alert.chat_id).with_for_update()
            )
            existing = await session.scalar(select(UserAlertRow).where(*same))
            if existing is not None:
                return _alert(existing)
            count = await session.scalar(select(func.count()).where(UserAlertRow.chat_id == alert.chat_id))
            if int(count or 0) >= limit:
                return None
            row = UserAlertRow(
                chat_id=alert.chat_id,
                symbol=alert.symbol,
                rule=str(alert.rule),
                level=alert.level,
                armed=alert.armed,
                created_at=alert.created_at or utcnow(),
                fired_at=None,
            )
            session.add(row)
            await session.flush()
            return _alert(row)

    async def list_alerts(self, chat_id: int) -> list[UserAlert]:
        query = select(UserAlertRow).where(UserAlertRow.chat_id == chat_id).order_by(UserAlertRow.id)
        async with self._sessions() as session:
            return [_alert(r) for r in await session.scalars(query)]

    async def list_for_symbols(self, symbols: Iterable[str]) -> list[UserAlert]:
        wanted = set(symbols)
        out: list[UserAlert] = []
        async with self._sessions() as session:
            if len(wanted) > _CHUNK:  # a close asks for every instrument, and few of them have alerts:
                # which do is one read of the symbol index, not a query per 500 symbols (bench/README.md,
                # "Stop 38": 27-53 ms a close of 5,000 instruments without alerts, now ~4 ms)
                wanted &= set(await session.scalars(select(UserAlertRow.symbol).distinct()))
            for chunk in chunked(sorted(wanted), _CHUNK):
                query = (
                    select(UserAlertRow)
                    .join(ChatRow, ChatRow.chat_id == UserAlertRow.chat_id)
                    .where(UserAlertRow.symbol.in_(chunk), ChatRow.active.is_(True))
                    .order_by(UserAlertRow.id)
                )
                out.extend(_alert(r) for r in await session.scalars(query))
        return out

    async def list_symbols(self) -> list[str]:
        query = (
            select(UserAlertRow.symbol)
            .join(ChatRow, ChatRow.chat_id == UserAlertRow.chat_id)
            .where(ChatRow.active.is_(True))
            .distinct()
            .order_by(UserAlertRow.symbol)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def delete_alert(self, chat_id: int, alert_id: int) -> bool:
        stmt = delete(UserAlertRow).where(UserAlertRow.chat_id == chat_id, UserAlertRow.id == alert_id)
        async with self._sessions.begin() as session:
            result = await session.execute(stmt)
            return bool(getattr(result, "rowcount", 0))

    async def set_armed(self, changes: Sequence[tuple[int, bool]], now: datetime) -> None:
        if not changes:
            return
        async with self._sessions.begin() as session:
            for alert_id, armed in changes:
                values: dict[str, object] = {"armed": armed}
                if not armed:
                    values["fired_at"] = now
                await session.execute(
                    update(UserAlertRow).where(UserAlertRow.id == alert_id).values(**values)
                )
