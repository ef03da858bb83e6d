"""The shipped sessions table (market/sessions.csv.gz) against exchange_calendars, and what it saves."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pytest

from market.sessions import CALENDARS, covered, from_exchange_calendars, sessions


@pytest.mark.parametrize("code", CALENDARS)
def test_table_equals_exchange_calendars_over_its_whole_span(code: str) -> None:
    span = covered(code)
    assert span is not None
    assert span[0] <= date(1990, 1, 2)
    assert span[1] >= date.today() + timedelta(days=365), "rebuild: tools/sessions_table.py"
    table = sessions(code, *span)
    truth = from_exchange_calendars(code, *span)
    assert table.days == truth.days, "exchange_calendars moved a holiday: run tools/sessions_table.py"
    assert table.opens == truth.opens
    assert table.closes == truth.closes


def test_a_range_past_the_table_asks_exchange_calendars() -> None:
    span = covered("XNYS")
    assert span is not None
    start = span[1] - timedelta(days=10)
    got = sessions("XNYS", start, span[1] + timedelta(days=40))
    assert got.days[-1] > span[1]  # the library's rules go on past the table
    assert got.days == from_exchange_calendars("XNYS", start, span[1] + timedelta(days=40)).days


def test_knowing_when_markets_open_does_not_import_pandas() -> None:
    code = (
        "import sys\n"
        "from datetime import date\n"
        "from market.calendar import is_trading_day\n"
        "from scheduler.calendars import default_specs, session_calendar\n"
        "from core.types import Market\n"
        "assert is_trading_day(Market.KRX, date(2026, 1, 1)) is False\n"
        "assert is_trading_day(Market.US, date(2026, 12, 7)) is True\n"
        "cal = session_calendar(default_specs()[Market.KRX])\n"
        "assert cal.is_session(date(2026, 12, 7))\n"
        "print(sorted(m for m in ('pandas', 'exchange_calendars', 'numba') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
