"""SQL implementations of the repository Protocols in `core.ports`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.ports import Repositories
from storage.repos.alerts import SqlUserAlertRepo
from storage.repos.apikeys import SqlApiKeyRepo
from storage.repos.chats import SqlChatRepo, SqlWatchRepo
from storage.repos.content import SqlNewsRepo, SqlRatingRepo
from storage.repos.events import SqlEventRepo, SqlOutboxRepo
from storage.repos.flows import SqlEtfHoldingRepo, SqlInvestorFlowRepo
from storage.repos.listings import SqlListingRepo
from storage.repos.market import SqlBarRepo, SqlCursorRepo, SqlInstrumentRepo
from storage.repos.system import SqlHealthRepo, SqlStateRepo


def build_repositories(sessions: async_sessionmaker[AsyncSession], dialect: str) -> Repositories:
    """Every repository over one session factory."""
    return Repositories(
        instruments=SqlInstrumentRepo(sessions, dialect),
        bars=SqlBarRepo(sessions, dialect),
        chats=SqlChatRepo(sessions, dialect),
        watches=SqlWatchRepo(sessions, dialect),
        events=SqlEventRepo(sessions, dialect),
        outbox=SqlOutboxRepo(sessions, dialect),
        news=SqlNewsRepo(sessions, dialect),
        ratings=SqlRatingRepo(sessions, dialect),
        cursors=SqlCursorRepo(sessions, dialect),
        state=SqlStateRepo(sessions, dialect),
        health=SqlHealthRepo(sessions, dialect),
        apikeys=SqlApiKeyRepo(sessions, dialect),
        flows=SqlInvestorFlowRepo(sessions, dialect),
        etfs=SqlEtfHoldingRepo(sessions, dialect),
        user_alerts=SqlUserAlertRepo(sessions, dialect),
        listings=SqlListingRepo(sessions, dialect),
    )


__all__ = [
    "SqlApiKeyRepo",
    "SqlBarRepo",
    "SqlChatRepo",
    "SqlCursorRepo",
    "SqlEtfHoldingRepo",
    "SqlEventRepo",
    "SqlHealthRepo",
    "SqlInstrumentRepo",
    "SqlInvestorFlowRepo",
    "SqlListingRepo",
    "SqlNewsRepo",
    "SqlOutboxRepo",
    "SqlRatingRepo",
    "SqlStateRepo",
    "SqlUserAlertRepo",
    "SqlWatchRepo",
    "build_repositories",
]
