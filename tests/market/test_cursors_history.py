"""Incremental updates from cursors, resumable history loads, CSV import."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from core.types import Interval
from market import MarketData
from tests.fakes.fake_sources import Failure, FakeSources
from tests.fakes.source_payloads import daily_rows, krx_row, utc

START = date(2026, 11, 2)
CLOSES = [100.0 + i for i in range(15)]


async def test_update_fetches_only_since_cursor_and_reports_only_new(
    md: MarketData, fake: FakeSources
) -> None:
    rows = daily_rows(START, CLOSES)
    fake.add_yahoo("SPY", rows[:10])
    inst = await md.resolve("SPY")
    first = await md.update([inst])
    assert len(first.new_bars["SPY"]) == 10
    cursor = await md.repos.cursors.get_cursor("SPY", "yahoo", Interval.D1)
    assert cursor is not None
    assert cursor.last_ts == utc(rows[9].day)

    again = await md.update([inst])
    assert again.new_bars == {}  # nothing new, the overlapping last bar unchanged
    period1 = datetime.fromtimestamp(int(fake.requests[-1].query["period1"]), UTC).date()
    assert period1 >= rows[8].day  # started from the cursor (minus a day of time-zone slack)

    fake.add_yahoo("SPY", [*rows[:9], rows[9].__class__(rows[9].day, 109, 112, 108, 111, 5), *rows[10:]])
    third = await md.update([inst])
    assert [b.ts.date() for b in third.new_bars["SPY"]] == [r.day for r in rows[9:]]  # changed + new
    assert third.new_bars["SPY"][0].close == 111
    stored = await md.repos.bars.list_bars("SPY")
    assert len(stored) == 15  # never duplicated
    assert len({b.ts for b in stored}) == 15


async def test_history_progress_and_resume_after_interruption(md: MarketData, fake: FakeSources) -> None:
    # KRX loads history in 30-day chunks, newest first; a failure mid-way keeps what is stored.
    days = [date(2026, 6, 1), date(2026, 8, 3), date(2026, 10, 14), date(2026, 11, 20)]
    for i, day in enumerate(days):
        fake.add_krx(day, [krx_row("KAU26", day, 9000 + i, 9100 + i, 8900 + i, 9000 + i, 100 + i)])
    inst = await md.resolve("KAU26")
    fake.fail("krx", Failure.UNAUTHORIZED, match="basDd=202608")
    seen: list[tuple[str, int, int]] = []
    res = await md.fetch_history([inst], years=1, progress=lambda s, d, t: seen.append((s, d, t)))
    assert "HTTP 401" in res.failures["KAU26"]
    stored = [b.ts.date() for b in await md.repos.bars.list_bars("KAU26")]
    assert stored == [date(2026, 10, 14), date(2026, 11, 20)]
    assert seen[0][1:] == (0, seen[0][2])
    assert seen[0][2] > 10

    fake.clear_failures()
    requested_before = {r.query["basDd"] for r in fake.requests if r.route == "krx"}
    md2 = MarketData(md.settings, md.repos, clock=md.clock)  # a new process: no in-memory day cache
    try:
        seen.clear()
        res = await md2.fetch_history(["KAU26"], years=1, progress=lambda s, d, t: seen.append((s, d, t)))
    finally:
        await md2.close()
    assert res.failures == {}
    assert [b.ts.date() for b in await md.repos.bars.list_bars("KAU26")] == days
    requested_after = [r.query["basDd"] for r in fake.requests if r.route == "krx"][len(requested_before) :]
    # resumed: chunks completed before the interruption (October/November) were not requested again
    assert not any(d.startswith(("202610", "202611")) and d < "20261120" for d in requested_after)
    assert seen[-1][1] == seen[-1][2]
    assert "KAU26" in res.new_bars

    # already covered: a second load only updates
    before = fake.count("krx")
    await md.fetch_history([inst], years=1)
    assert fake.count("krx") - before <= 1


async def test_fetch_history_reports_unknown_symbols(md: MarketData, fake: FakeSources) -> None:
    fake.add_yahoo("SPY", daily_rows(START, CLOSES))
    res = await md.fetch_history(["SPY", "$$$", "EUA-AUCTON"], years=2)
    assert len(res.new_bars["SPY"]) == 15
    assert "malformed" in res.failures["$$$"]
    assert "Did you mean: EUA-AUCTION" in res.failures["EUA-AUCTON"]
    req = next(r for r in fake.requests if r.route == "yahoo")
    assert datetime.fromtimestamp(int(req.query["period1"]), UTC).year == 2024  # one request, 2 years


async def test_import_csv(md: MarketData, tmp_path: Path) -> None:
    path = tmp_path / "spy.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2026-11-16,10,11,9,10,9,100\n"
        "2026-11-15,10,11,9,10,9,100\n"  # a Sunday: rejected
        "2026-11-17,10,9,9,10,9,100\n"  # high < open: high widened to 10, stored, flagged
        "2026-11-18,10,11,9,10.5,9.45,100\n"
        "2026-11-19,x,11,9,10.5,9.45,100\n",  # unreadable
        encoding="utf-8",
    )
    outcome = await md.import_csv(path, "spy")
    assert (outcome.stored, outcome.rejected, outcome.unreadable, outcome.repaired) == (3, 1, 1, 1)
    assert outcome.summary() == "spy.csv: 3 stored, 2 rejected, 1 repaired for SPY (1 unreadable)"
    bars = await md.repos.bars.list_bars("SPY")
    assert [(b.ts.date(), b.source, b.flags) for b in bars] == [
        (date(2026, 11, 16), "csv", ""),
        (date(2026, 11, 17), "csv", "ohlc_repaired"),
        (date(2026, 11, 18), "csv", ""),
    ]
    assert bars[1].high == 10
    assert [round(b.adj_factor, 6) for b in bars] == [0.9, 0.9, 0.9]
