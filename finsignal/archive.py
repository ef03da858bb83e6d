"""`finsignal archive --older-than 2y` and the daily archive job (issue 20): whole months of bars
older than the age move from the database to the cold tier's monthly Parquet files."""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta

from core.errors import UsageError
from core.settings import Settings, parse_age
from core.timeutil import Clock, utcnow
from storage import Database
from storage.archive import ArchiveReport, archive_bars
from storage.cold import ColdBarStore
from storage.repos.archive import SqlArchiveRepo
from storage.tiered import TieredBarRepo


def tier_bars(db: Database, settings: Settings) -> None:
    """Let every reader of `db.repos.bars` see the cold tier too (the composition root calls this)."""
    if not isinstance(db.repos.bars, TieredBarRepo):
        tiered = TieredBarRepo(db.repos.bars, db.repos.instruments, ColdBarStore(settings.cold_dir))
        db.repos = replace(db.repos, bars=tiered)


async def archive_older_than(
    db: Database, settings: Settings, age: timedelta, now: datetime
) -> ArchiveReport:
    repo = SqlArchiveRepo(db.sessions, db.dialect)
    return await archive_bars(repo, ColdBarStore(settings.cold_dir), cutoff=now - age)


def archive_job(db: Database, settings: Settings, clock: Clock) -> Callable[[], Awaitable[str]] | None:
    """The scheduler's archive_bars job, when FINSIGNAL_COLD_ARCHIVE_OLDER_THAN is set."""
    if not settings.cold_archive_older_than:
        return None
    age = parse_age(settings.cold_archive_older_than)

    async def job() -> str:
        return describe(await archive_older_than(db, settings, age, clock.now()))

    return job


def describe(report: ArchiveReport) -> str:
    text = f"{len(report.months)} months, {report.bars} bars archived"
    return text + (f"; {len(report.failed)} failed (kept in the database)" if report.failed else "")


async def cmd_archive(args: argparse.Namespace, settings: Settings) -> int:
    try:
        age = parse_age(args.older_than)
    except ValueError as exc:
        raise UsageError(f"--older-than: {exc}") from None
    db = await Database.open(settings.database_url, migrate=True)
    try:
        report = await archive_older_than(db, settings, age, utcnow())
    finally:
        await db.close()
    print(json.dumps(asdict(report)) if args.json else f"{describe(report)} to {settings.cold_dir}")
    for failure in report.failed:
        print(f"  failed: {failure}")
    return 1 if report.failed else 0
