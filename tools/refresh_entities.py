"""Merge an exchange listing CSV into news/data/entities.csv (see news/listings.py for the rules).

    .venv/bin/python tools/refresh_entities.py LISTING.csv [--write]

LISTING.csv: KRX's company list (KIND corpList download saved as UTF-8, or FinanceDataReader's
StockListing('KRX-DESC') written with to_csv). Without --write it prints what would change.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from news.listings import merge_listing  # noqa: E402

DATA = ROOT / "news" / "data" / "entities.csv"


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    listing = Path(args[0])
    if not listing.is_file():
        print(f"no such listing file: {listing}", file=sys.stderr)
        return 2
    with listing.open(encoding="utf-8-sig", newline="") as fh:
        merged, added, renamed = merge_listing(DATA.read_text(encoding="utf-8"), csv.DictReader(fh))
    print(f"{added} companies added, {renamed} renamed (old names kept as aliases)")
    if "--write" in argv:
        DATA.write_text(merged, encoding="utf-8")
        print(f"written: {DATA.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
