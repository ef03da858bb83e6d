"""What callers outside storage see when the database misbehaves: core errors, never SQLAlchemy's."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from core.errors import StorageError
from core.ports import Repositories
from core.types import Bar, Interval
from storage import Database
from tests.fakes.mariadb import MySQLTestServer

T0 = datetime(2024, 5, 2, tzinfo=UTC)


async def test_a_rejected_batch_is_a_storage_error_and_stores_nothing(repos: Repositories) -> None:
    good = Bar("AAPL", Interval.D1, T0, 1, 2, 0.5, 1.5, 100)
    bad = Bar("AAPL", Interval.D1, T0.replace(day=3), 1, 2, 0.5, math.nan, 100)
    with pytest.raises(StorageError, match=r"SqlBarRepo\.upsert_bars failed"):
        await repos.bars.upsert_bars([good, bad])
    assert await repos.bars.list_bars("AAPL") == []
    assert await repos.bars.upsert_bars([good]) == 1  # the repository still works


@pytest.mark.mariadb
async def test_dropped_connections_are_replaced_by_pre_ping(
    mysql_server: MySQLTestServer | str, mariadb_url: str
) -> None:
    assert isinstance(mysql_server, MySQLTestServer)
    db = await Database.open(mariadb_url)
    try:
        await db.repos.state.put_state("k", "한글".encode())
        assert mysql_server.kill_connections(mariadb_url) >= 1
        assert await db.repos.state.get_state("k") == "한글".encode()
    finally:
        await db.close()
