"""API keys (issue 19): hashes only; the secret never reaches the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.errors import StorageError
from core.types import ApiKey
from storage.models import ApiKeyRow
from storage.repos.base import Repo


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        name=row.name,
        prefix=row.prefix,
        admin=row.admin,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        id=row.id,
    )


class SqlApiKeyRepo(Repo):
    async def add_key(self, name: str, prefix: str, key_hash: str, admin: bool, now: datetime) -> ApiKey:
        row = ApiKeyRow(name=name, prefix=prefix, key_hash=key_hash, admin=admin, created_at=now)
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            raise StorageError(f"an API key called {name!r} already exists") from None
        return _key(row)

    async def get_by_hash(self, key_hash: str) -> ApiKey | None:
        async with self._sessions() as session:
            row = await session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
            return None if row is None else _key(row)

    async def list_keys(self) -> list[ApiKey]:
        async with self._sessions() as session:
            rows = await session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
            return [_key(r) for r in rows]

    async def revoke_key(self, name: str, now: datetime) -> bool:
        stmt = (
            update(ApiKeyRow)
            .where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        async with self._sessions.begin() as session:
            result = await session.execute(stmt)
            return bool(getattr(result, "rowcount", 0))
