"""The cold tier (issue 20) on SQLite and MariaDB: whole months of old bars move to monthly Parquet
files and every read through `repos.bars` answers exactly as before; the job is idempotent and
resumable; a bar written or changed after the archive is never lost."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.errors import StorageError
from core.types import Bar, Interval, Market
from market.resolver import make_instrument
from storage import Database
from storage.archive import archive_bars, archive_month
from storage.cold import ColdBarStore
from storage.repos.archive import SqlArchiveRepo
from storage.repos.market import SqlBarRepo
from storage.tiered import TieredBarRepo

FIRST = datetime(2022, 11, 1, 21, tzinfo=UTC)
CUTOFF = datetime(2024, 6, 15, tzinfo=UTC)  # months up to May 2024 are archived
SYMBOLS = {"AAPL": Market.US, "005930.KS": Market.KRX}


def history(symbol: str, days: int = 700) -> list[Bar]:
    out = []
    for i in range(days):
        close = 100.0 + 10 * math.sin(i / 17) + i * 0.031
        ts = FIRST + timedelta(days=i)
        flags = "" if i % 50 else "repaired"
        out.append(Bar(symbol, Interval.D1, ts, close - 1.25, close + 2.5, close - 3.0, close, 1000.0 + i,
                       adj_factor=0.5 if i < 200 else 1.0, source="yahoo", flags=flags))  # fmt: skip
    minutes = [
        Bar(symbol, Interval.M5, datetime(2023, 3, 6, 1, tzinfo=UTC) + timedelta(minutes=5 * i),
            50.0 + i / 8, 51.0 + i / 8, 49.5, 50.5, 10.0 * i)
        for i in range(60)
    ]  # fmt: skip
    return out + minutes


async def seeded(db: Database, tmp_path: Path) -> tuple[TieredBarRepo, SqlArchiveRepo, ColdBarStore]:
    await db.repos.instruments.upsert_instruments([make_instrument(s, m) for s, m in SYMBOLS.items()])
    hot = db.repos.bars
    assert isinstance(hot, SqlBarRepo)
    for symbol in SYMBOLS:
        await hot.upsert_bars(history(symbol))
    cold = ColdBarStore(tmp_path / "cold")
    return TieredBarRepo(hot, db.repos.instruments, cold), SqlArchiveRepo(db.sessions, db.dialect), cold


READS = [  # (symbol, interval, start, end, limit): ranges inside, across and outside the archive
    ("AAPL", Interval.D1, None, None, None),
    ("AAPL", Interval.D1, datetime(2023, 3, 15, tzinfo=UTC), datetime(2024, 8, 10, tzinfo=UTC), None),
    ("AAPL", Interval.D1, datetime(2023, 3, 15, tzinfo=UTC), datetime(2023, 4, 2, 21, tzinfo=UTC), None),
    ("AAPL", Interval.D1, datetime(2024, 7, 1, tzinfo=UTC), None, None),
    ("AAPL", Interval.D1, None, None, 10),
    ("AAPL", Interval.D1, None, None, 450),
    ("AAPL", Interval.D1, None, datetime(2024, 2, 1, tzinfo=UTC), 30),
    ("005930.KS", Interval.D1, datetime(2024, 5, 20, tzinfo=UTC), datetime(2024, 6, 20, tzinfo=UTC), None),
    (
        "005930.KS",
        Interval.M5,
        datetime(2023, 3, 6, 2, tzinfo=UTC),
        datetime(2023, 3, 6, 3, tzinfo=UTC),
        None,
    ),
    ("005930.KS", Interval.M5, None, None, 5),
    ("NOPE", Interval.D1, None, None, None),
]


async def snapshot(repo: TieredBarRepo) -> list[list[Bar]]:
    out = [await repo.list_bars(*read) for read in READS]
    out.append([b for b in [await repo.last_bar("AAPL"), await repo.last_bar("005930.KS", Interval.M5)] if b])
    return out


async def test_archived_months_leave_the_database_and_every_read_is_unchanged(
    db: Database, tmp_path: Path
) -> None:
    repo, archive, cold = await seeded(db, tmp_path)
    before = await snapshot(repo)
    assert repo.cold_reads == 0  # nothing archived yet: the database alone answered
    report = await archive_bars(archive, cold, cutoff=CUTOFF)
    assert report.failed == []
    assert report.months[0] == "us 2022-11"
    assert report.months[-1] == "krx 2024-05"
    assert len(report.months) == 2 * 19  # Nov 2022 .. May 2024, both markets
    old = [b for s in SYMBOLS for b in history(s) if b.ts < datetime(2024, 6, 1, tzinfo=UTC)]
    assert report.bars == len(old)
    assert sorted(p.name for p in (tmp_path / "cold" / "krx").iterdir())[:2] == [
        "2022-11.parquet",
        "2022-12.parquet",
    ]
    assert await repo.hot.list_bars("AAPL", Interval.D1, end=datetime(2024, 5, 31, 23, tzinfo=UTC)) == []
    assert len(await repo.hot.list_bars("AAPL", Interval.D1)) == 700 - len(
        [b for b in old if b.symbol == "AAPL" and b.interval == Interval.D1]
    )

    assert await snapshot(repo) == before
    assert repo.cold_reads > 0
    again = await archive_bars(archive, cold, cutoff=CUTOFF)  # idempotent: nothing left to move
    assert (again.months, again.bars, again.failed) == ([], 0, [])
    assert await snapshot(repo) == before


async def test_an_interrupted_archive_is_finished_by_the_next_run(db: Database, tmp_path: Path) -> None:
    repo, archive, cold = await seeded(db, tmp_path)
    before = await snapshot(repo)
    start, end = datetime(2023, 3, 1, tzinfo=UTC), datetime(2023, 4, 1, tzinfo=UTC)
    march = await archive.list_market_bars("us", start, end)
    cold.write_month("us", (2023, 3), march[:10])  # a previous run wrote part, then died before deleting
    stray = cold.path("us", (2023, 4)).with_suffix(".parquet.tmp")
    stray.write_bytes(b"half a file")  # and another died mid-write
    assert await snapshot(repo) == before  # the database's rows win where both tiers hold a bar
    report = await archive_bars(archive, cold, cutoff=CUTOFF)
    assert report.failed == []
    assert not stray.exists()
    assert await archive.list_market_bars("us", start, end) == []
    assert await snapshot(repo) == before


async def test_a_bar_written_after_archiving_wins_and_is_folded_in_later(
    db: Database, tmp_path: Path
) -> None:
    repo, archive, cold = await seeded(db, tmp_path)
    await archive_bars(archive, cold, cutoff=CUTOFF)
    day = datetime(2023, 5, 10, tzinfo=UTC)
    old = (await repo.list_bars("AAPL", Interval.D1, day, day + timedelta(days=1)))[0]
    fixed = Bar(
        old.symbol, old.interval, old.ts, old.open, old.high, old.low, 123.5, old.volume, source="kis"
    )
    await repo.upsert_bars([fixed])  # a back-fill corrects an archived bar
    assert (await repo.list_bars("AAPL", Interval.D1, old.ts, old.ts))[0] == fixed
    report = await archive_bars(archive, cold, cutoff=CUTOFF)
    assert report.months == ["us 2023-05"]
    assert report.bars == 1
    assert await repo.hot.list_bars("AAPL", Interval.D1, old.ts, old.ts) == []
    assert (await repo.list_bars("AAPL", Interval.D1, old.ts, old.ts))[0] == fixed


async def test_rows_that_differ_from_the_file_are_never_deleted(db: Database, tmp_path: Path) -> None:
    _, archive, cold = await seeded(db, tmp_path)
    start, end = datetime(2023, 1, 1, tzinfo=UTC), datetime(2023, 2, 1, tzinfo=UTC)
    rows = await archive.list_market_bars("krx", start, end)
    keyed = {(b.symbol, str(b.interval), b.ts): b for b in rows}
    first = next(iter(keyed))
    changed = {**keyed, first: replace(keyed[first], close=1.0)}
    missing = {k: v for k, v in keyed.items() if k != first}
    for archived in (missing, changed):
        with pytest.raises(StorageError, match="changed meanwhile"):
            await archive.delete_archived("krx", start, end, archived)
    assert await archive.list_market_bars("krx", start, end) == rows  # rolled back: all still there
    assert await archive_month(archive, cold, "krx", (2023, 1)) == len(rows)


async def test_a_split_re_adjusts_archived_bars_as_the_database_does(db: Database, tmp_path: Path) -> None:
    repo, archive, cold = await seeded(db, tmp_path)
    split = [(datetime(2024, 8, 1, tzinfo=UTC), 0.25)]
    changed_hot = await repo.set_adj_factors("AAPL", Interval.D1, split)
    expected = await repo.list_bars("AAPL", Interval.D1)
    await repo.set_adj_factors("AAPL", Interval.D1, [(split[0][0], 4.0)])  # undo
    await archive_bars(archive, cold, cutoff=CUTOFF)
    assert await repo.set_adj_factors("AAPL", Interval.D1, split) == changed_hot
    got = await repo.list_bars("AAPL", Interval.D1)
    assert [b.ts for b in got] == [b.ts for b in expected]
    assert [b.adj_factor for b in got] == pytest.approx([b.adj_factor for b in expected])
