"""Archive old bars to the cold tier (issue 20): every whole calendar month (UTC) older than the
cutoff, per market, goes to `<cold>/<market>/<YYYY-MM>.parquet` and leaves the database.

Per month: read the market's bars of the month from the database, fold them into the month's file
if one exists (the database's row wins), write a temporary file, read it back and compare every
value (`ColdWriteError` otherwise, the old file kept), rename it into place, then delete the rows in
a transaction that reads them again and rolls back unless each is in the file unchanged. A month is
the unit of work, so the job is resumable (a crash leaves the month in the database, in the file, or
both; the next run finishes it) and idempotent (a month already archived has no rows left to move).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from core.errors import StorageError
from core.types import Bar, Market
from storage.cold import ColdBarStore, Month, month_of, month_start, next_month
from storage.repos.archive import BarKey, SqlArchiveRepo, bar_key

logger = logging.getLogger(__name__)
MARKETS = tuple(str(market) for market in Market)


@dataclass
class ArchiveReport:
    months: list[str] = field(default_factory=list)  # 'krx 2023-04' for each month moved
    bars: int = 0  # rows moved out of the database
    failed: list[str] = field(default_factory=list)  # 'krx 2023-05: why' (left in the database)


async def archive_bars(
    repo: SqlArchiveRepo,
    cold: ColdBarStore,
    *,
    cutoff: datetime,
    markets: Iterable[str] = MARKETS,
) -> ArchiveReport:
    """Move every whole month ending at or before `cutoff` to the cold tier."""
    report = ArchiveReport()
    await asyncio.to_thread(cold.remove_stray)
    for market in markets:
        oldest = await repo.oldest_bar_ts(market)
        if oldest is None:
            continue
        month = month_of(oldest)
        while month_start(next_month(month)) <= cutoff:
            label = f"{market} {month[0]:04d}-{month[1]:02d}"
            try:
                moved = await archive_month(repo, cold, market, month)
            except StorageError as exc:
                logger.warning("archive %s failed, left in the database: %s", label, exc)
                report.failed.append(f"{label}: {exc}")
            else:
                if moved:
                    report.months.append(label)
                    report.bars += moved
                    logger.info("archived %s: %d bars", label, moved)
            month = next_month(month)
    return report


async def archive_month(repo: SqlArchiveRepo, cold: ColdBarStore, market: str, month: Month) -> int:
    """Move one month of one market; returns the rows deleted from the database (0: nothing to do)."""
    start, end = month_start(month), month_start(next_month(month))
    fresh = await repo.list_market_bars(market, start, end)
    if not fresh:
        return 0
    filed = await asyncio.to_thread(cold.read_month, market, month)
    merged: dict[BarKey, Bar] = {bar_key(b): b for b in filed}
    merged.update((bar_key(b), b) for b in fresh)
    await asyncio.to_thread(_write_verified, cold, market, month, list(merged.values()))
    # the file read back before its rename equals `merged` value for value (ColdWriteError otherwise)
    return await repo.delete_archived(market, start, end, merged)


def _write_verified(cold: ColdBarStore, market: str, month: Month, bars: list[Bar]) -> None:
    path = cold.write_month(market, month, bars, verify=True)
    logger.debug("wrote %s (%d bars)", path, len(bars))
