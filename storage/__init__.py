"""Storage: the only package that imports SQLAlchemy. ORM models, repositories returning `core`
domain types, and Alembic migrations (shipped in `storage/migrations`).

    db = await Database.open("sqlite+aiosqlite:///var/finsignal.db")   # migrates by default
    repos = db.repos                                                     # core.ports.Repositories
    await db.close()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.database import DEFAULT_URL, Database
    from storage.urls import mask

__all__ = ["DEFAULT_URL", "Database", "mask"]


def __getattr__(name: str) -> Any:
    """Load the ORM, repositories and Alembic on first use (`storage.probe` needs none of them)."""
    if name in ("DEFAULT_URL", "Database"):
        from storage import database

        return getattr(database, name)
    if name == "mask":
        from storage.urls import mask

        return mask
    raise AttributeError(f"module 'storage' has no attribute {name!r}")
