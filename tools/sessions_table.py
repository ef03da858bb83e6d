"""Write market/sessions.csv.gz: exchange sessions from exchange_calendars for the calendars finsignal
uses, so running processes need not import pandas to know when markets open (see market/sessions.py).

    .venv/bin/python tools/sessions_table.py [--start 1990-01-01] [--years-ahead 2]

Run it after upgrading exchange_calendars (tests/market/test_sessions.py fails until you do) and once a
year so the table keeps covering two years ahead; past the table, finsignal asks exchange_calendars.
"""

from __future__ import annotations

import argparse
import gzip
from datetime import UTC, date, datetime
from pathlib import Path

from market.sessions import CALENDARS, TABLE, from_exchange_calendars

OUT = Path(__file__).resolve().parents[1] / "market" / TABLE


def render(start: date, end: date) -> str:
    lines = []
    for code in CALENDARS:
        lines.append(f"#range,{code},{start.isoformat()},{end.isoformat()}")
        s = from_exchange_calendars(code, start, end)
        for day, op, cl in zip(s.days, s.opens, s.closes, strict=True):
            base = datetime.combine(day, datetime.min.time(), UTC)
            lines.append(
                f"{code},{day.isoformat()},{int((op - base).total_seconds() // 60)},"
                f"{int((cl - base).total_seconds() // 60)}"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=date(1990, 1, 1))
    parser.add_argument("--years-ahead", type=int, default=2)
    args = parser.parse_args()
    today = date.today()
    end = date(today.year + args.years_ahead, 12, 31)
    OUT.write_bytes(gzip.compress(render(args.start, end).encode("ascii"), mtime=0))
    print(f"{OUT}: {', '.join(CALENDARS)} from {args.start} to {end}, {OUT.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
