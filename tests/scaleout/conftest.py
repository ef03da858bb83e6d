"""A real redis-server for the scale-out tests (tests/fakes/redis_server.py): started once per session,
emptied before each test. Without a server these tests skip loudly; under CI=true they fail."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.fakes.redis_server import RedisTestServer, start_redis


@pytest.fixture(scope="session")
def redis_session() -> Iterator[RedisTestServer | str]:
    try:
        server = start_redis()
    except RuntimeError as exc:
        yield str(exc)
        return
    yield server
    server.stop()


@pytest.fixture
def redis_server(redis_session: RedisTestServer | str) -> RedisTestServer:
    """The session's redis-server, running and empty."""
    if isinstance(redis_session, str):
        message = f"!!! Redis NOT TESTED: {redis_session.splitlines()[0]}. Install redis-server."
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} Under CI=true this is a failure.", pytrace=False)
        pytest.skip(message)
    if not redis_session.running:
        redis_session.start()
    redis_session.flush()
    return redis_session
