"""A bot process for the crash tests: the real application (handlers, outbox Sender, lease, instance
id) on the database and fake Bot API named by the environment, until SIGTERM or SIGKILL."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.app import build_application, run_application
from storage import Database
from tests.bot.fakes import make_services, make_settings


async def main() -> None:
    env = os.environ
    db = await Database.open(env["CRASH_DB_URL"])
    settings = make_settings(
        env["CRASH_TG_URL"],
        data_dir=env["CRASH_DATA_DIR"],
        after_crash=env["CRASH_AFTER"],
        role="bot",
        sender_lease_ttl_s=60,
    )
    app = build_application(settings, make_services(db.repos), sender_options={"idle_s": 0.1})
    try:
        await run_application(app, settings, poll_timeout=1)
    finally:
        await db.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(main())
