"""Refresh news/data/entities.csv from an exchange listing (pure: text in, text out).

The listing is a CSV in the shape of KRX's company list (KIND `corpList`, FinanceDataReader's
`StockListing('KRX-DESC')`): a code column (`Code` or `종목코드`), a name column (`Name` or `회사명`),
optionally a market (`Market`: KOSPI, KOSDAQ, KONEX) and an industry description (`Industry` or `업종`).

- A code not in the data gets a row: symbol `CODE.KS` (`.KQ` on KOSDAQ), its Korean name, and the
  industries that the taxonomy's own keywords find in the industry description (`반도체 제조업` ->
  semiconductors, `의약품 제조업` -> biotech); none when nothing matches.
- A listed company whose name changed keeps its old name as an alias behind the new one
  (`대우조선해양` -> `한화오션|대우조선해양`), so headlines from before the change still resolve.
- Rows of codes missing from the listing are kept: a delisted name still appears in old headlines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from news.taxonomy import Taxonomy, default_taxonomy

FIELDS = ("symbol", "industries", "en", "ko", "when")
_MARKET_SUFFIX = {"KOSDAQ": ".KQ", "KOSDAQ GLOBAL": ".KQ", "KONEX": ".KN"}


def _first(row: Mapping[str, str], *keys: str) -> str:
    for key in keys:
        value = (row.get(key) or "").strip()
        if value:
            return value
    return ""


def industries_of(description: str, taxonomy: Taxonomy | None = None) -> list[str]:
    """Taxonomy industries whose keywords appear in a listing's industry description."""
    tax = taxonomy or default_taxonomy()
    return [m.key for m in tax.industries if description and m.hits(description)]


def merge_listing(
    entities_csv: str, listing: Iterable[Mapping[str, str]], taxonomy: Taxonomy | None = None
) -> tuple[str, int, int]:
    """The entities CSV with the listing merged in, and the counts of (rows added, names renamed)."""
    rows = list(csv.DictReader(io.StringIO(entities_csv)))
    by_code = {r["symbol"].split(".")[0]: r for r in rows if r["symbol"][:6].isdigit()}
    added = renamed = 0
    for item in listing:
        code = _first(item, "Code", "종목코드", "code").zfill(6)
        name = _first(item, "Name", "회사명", "name")
        if not code.strip("0") or not name:
            continue
        row = by_code.get(code)
        if row is None:
            suffix = _MARKET_SUFFIX.get(_first(item, "Market", "시장구분").upper(), ".KS")
            industry = _first(item, "Industry", "업종", "Sector")
            row = {
                "symbol": code + suffix,
                "industries": " ".join(industries_of(industry, taxonomy)),
                "en": "",
                "ko": name,
                "when": "",
            }
            rows.append(row)
            by_code[code] = row
            added += 1
            continue
        names = [n for n in row["ko"].split("|") if n]
        if not names or names[0] != name:
            row["ko"] = "|".join([name, *(n for n in names if n != name)])
            renamed += 1
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), added, renamed
