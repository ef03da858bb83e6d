"""`kill -9` of a real bot process at the worst point -- Telegram has accepted a message and the
process dies before the answer reaches it -- then a restart on the same data directory:
resend (at-least-once) sends again at most the rows that were in flight; skip (at-most-once) sends
nothing twice and skips at most those rows. The restart takes its own sender lease over at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.timeutil import utcnow
from core.types import OutboxMessage
from storage import Database
from tests.fakes.fake_telegram import FakeTelegram, Sent

CHILD = Path(__file__).with_name("crash_child.py")
CHATS = list(range(70_001, 70_061))
KILL_AFTER = 20


def spawn(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(CHILD)], env={**os.environ, **env}, stderr=subprocess.PIPE)


async def wait_exit(proc: subprocess.Popen[bytes], within: float = 20) -> None:
    deadline = time.monotonic() + within
    while proc.poll() is None:
        assert time.monotonic() < deadline, "the bot process did not stop"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("after_crash", ["resend", "skip"])
async def test_kill_9_while_sending(sqlite_url: str, tmp_path: Path, after_crash: str) -> None:
    db = await Database.open(sqlite_url)
    repos = db.repos
    await repos.outbox.enqueue([OutboxMessage(c, f"k:{c}", f"hello {c}", kind="broadcast") for c in CHATS])
    first: subprocess.Popen[bytes] | None = None

    def on_sent(sent: Sent) -> None:  # runs before the answer is written: the worst point
        if first is not None and len(tg.sent) == KILL_AFTER:
            os.kill(first.pid, signal.SIGKILL)

    async with FakeTelegram(on_sent=on_sent) as tg:
        env = {
            "CRASH_DB_URL": sqlite_url,
            "CRASH_TG_URL": tg.base_url,
            "CRASH_DATA_DIR": str(tmp_path / "data"),
            "CRASH_AFTER": after_crash,
        }
        first = spawn(env)
        await wait_exit(first, within=60)
        assert first.returncode == -signal.SIGKILL
        in_flight = await repos.outbox.count_in_flight()  # sends recorded as started (skip only)
        if after_crash == "skip":
            assert 1 <= in_flight <= 16  # the sends under way when it died (at most the concurrency)
        sent_before, asked_before = len(tg.sent), len(tg.requests)

        second = spawn(env)
        try:
            await tg.wait_for(lambda: len(tg.sent) > sent_before, within=60)
            # from the restarted process's first call to the Bot API (it is up: Python imports on a
            # loaded machine take seconds of their own) to its first send
            resumed_after = tg.sent[sent_before].at - tg.requests[asked_before].at
            await tg.wait_for(lambda: len(tg.sent) >= sent_before + len(CHATS) - KILL_AFTER - 16, 60)
            for _ in range(100):
                if await repos.outbox.count_pending() == 0:
                    break
                await asyncio.sleep(0.1)
        finally:
            second.send_signal(signal.SIGTERM)
            await wait_exit(second)
        assert second.returncode == 0, second.stderr.read().decode() if second.stderr else ""

    counts = {c: len(tg.sent_to(c)) for c in CHATS}
    assert await repos.outbox.count_pending() == 0
    assert resumed_after < 5.0, f"the restart resumed sending after {resumed_after:.1f} s"
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    missing = [c for c, n in counts.items() if n == 0]
    if after_crash == "resend":
        assert missing == []  # at-least-once: nothing lost
        assert duplicates <= 16  # at most the sends under way (the sender's concurrency)
    else:
        assert duplicates == 0  # at-most-once: nothing twice
        assert len(missing) <= in_flight
    assert await repos.state.try_lease("outbox-sender", "someone-else", utcnow(), 1.0)  # released on SIGTERM
    await db.close()
