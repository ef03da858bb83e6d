from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.timeutil import day_start_utc, ensure_utc, fmt_kst, fmt_kst_utc


def test_kst_with_utc_beside() -> None:
    assert fmt_kst_utc(datetime(2026, 11, 21, 0, 0, tzinfo=UTC)) == "2026-11-21 09:00 KST (00:00 UTC)"


def test_kst_crosses_the_date_line() -> None:
    ts = datetime(2026, 11, 20, 20, 30, tzinfo=UTC)
    assert fmt_kst_utc(ts) == "2026-11-21 05:30 KST (20:30 UTC)"
    assert fmt_kst(ts) == "2026-11-21 05:30 KST"


def test_other_zones_are_converted() -> None:
    cet = timezone(timedelta(hours=1))
    assert fmt_kst_utc(datetime(2026, 1, 5, 11, 30, tzinfo=cet)) == "2026-01-05 19:30 KST (10:30 UTC)"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (datetime(2026, 1, 1, 12), datetime(2026, 1, 1, 12, tzinfo=UTC)),
        (datetime(2026, 1, 1, 21, tzinfo=timezone(timedelta(hours=9))), datetime(2026, 1, 1, 12, tzinfo=UTC)),
    ],
)
def test_ensure_utc(given: datetime, expected: datetime) -> None:
    out = ensure_utc(given)
    assert out == expected
    assert out.utcoffset() == timedelta(0)


def test_day_start_is_midnight_utc() -> None:
    assert day_start_utc(date(2026, 11, 20)) == datetime(2026, 11, 20, tzinfo=UTC)
