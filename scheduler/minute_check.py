"""The `check_minute_bars.krx` job: after the close (and after `finalise_bars.krx` stored the daily
bar), each Korean stock's minute bars of the session are checked against its daily bar
(`market.minute_check`). Mismatches are counted, logged one line each, and kept in the state repo
(`market.minute_check.krx`) for `status` and the health report."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.ports import Repositories
from core.types import Interval
from market.minute_check import check_day

logger = logging.getLogger(__name__)

STATE_KEY = "market.minute_check.krx"
_TICK = timedelta(microseconds=1)


async def check_session(
    repos: Repositories, symbols: Sequence[str], day: date, opens: datetime, closes: datetime
) -> dict[str, Any]:
    """Check `day`'s minute bars (from `opens` to `closes`, the closing auction included) of `symbols`
    against their daily bars; returns and stores the summary."""
    checked = mismatched = no_daily = 0
    problems: dict[str, list[str]] = {}
    day_ts = datetime(day.year, day.month, day.day, tzinfo=UTC)  # daily bars carry the session date
    for symbol in symbols:
        minutes = await repos.bars.list_bars(
            symbol, Interval.M1, start=opens, end=closes + timedelta(minutes=1) - _TICK
        )
        if not minutes:
            continue
        dailies = await repos.bars.list_bars(
            symbol, Interval.D1, start=day_ts, end=day_ts + timedelta(days=1) - _TICK
        )
        result = check_day(symbol, minutes, dailies[-1] if dailies else None)
        checked += 1
        if not result.has_daily:
            no_daily += 1
            logger.warning(
                "minute check %s %s: no daily bar to check %d minutes against", symbol, day, result.minutes
            )
        elif result.problems:
            mismatched += 1
            problems[symbol] = list(result.problems)
            logger.warning("minute check %s %s: %d minute bars disagree with the daily bar: %s",
                           symbol, day, result.minutes, "; ".join(result.problems))  # fmt: skip
    summary = {
        "day": day.isoformat(),
        "checked": checked,
        "mismatched": mismatched,
        "no_daily_bar": no_daily,
        "problems": dict(sorted(problems.items())[:20]),
    }
    await repos.state.put_state(STATE_KEY, json.dumps(summary).encode())
    return summary


async def last_check(repos: Repositories) -> dict[str, Any] | None:
    """The summary of the last check, for status and health (None before the first)."""
    raw = await repos.state.get_state(STATE_KEY)
    return json.loads(raw) if raw else None
