"""Storage: the only package that imports SQLAlchemy. ORM models, repositories returning `core`
domain types, and Alembic migrations (shipped in `storage/migrations`).

    db = await Database.open("sqlite+aiosqlite:///var/finsignal.db")   # migrates by default
    repos = db.repos                                                     # core.ports.Repositories
    await db.close()
"""

from __future__ import annotations

from storage.database import DEFAULT_URL, Database
from storage.urls import mask

__all__ = ["DEFAULT_URL", "Database", "mask"]
