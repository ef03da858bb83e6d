"""Alembic environment.

`storage.Database.upgrade()` passes its own connection in `config.attributes["connection"]`.
From the command line (`alembic upgrade head` with the repo's alembic.ini) the URL comes from
FINSIGNAL_DATABASE_URL, else `sqlalchemy.url` in alembic.ini, else the default SQLite file.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from storage.models import Base

config = context.config
target_metadata = Base.metadata
if config.config_file_name is not None and config.attributes.get("connection") is None:
    # from the command line only: the application configures its own logging
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs go through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _cli_url() -> str:
    from storage.database import DEFAULT_URL

    return os.environ.get("FINSIGNAL_DATABASE_URL") or config.get_main_option("sqlalchemy.url") or DEFAULT_URL


async def _run_from_cli() -> None:
    from storage.database import Database

    db = await Database.open(_cli_url(), migrate=False)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(_configure)
    finally:
        await db.close()


def _run_offline() -> None:
    from storage.urls import parse_url

    context.configure(url=parse_url(_cli_url()), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
elif (connection := config.attributes.get("connection")) is not None:
    _configure(connection)
else:
    asyncio.run(_run_from_cli())
