"""Refreshing the entity data from a KRX-shaped listing."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from news import Classifier
from news.entities import EntityIndex, load_rows
from news.listings import industries_of, merge_listing

DATA = (
    "symbol,industries,en,ko,when\n"
    "042660.KS,shipbuilding,Daewoo Shipbuilding,대우조선해양,\n"
    "GS,banks,Goldman Sachs,,\n"
)
LISTING = (
    "Code,Name,Market,Industry\n"
    "042660,한화오션,KOSPI,선박 및 보트 건조업\n"
    "403870,에이치피에스피,KOSDAQ,반도체 제조용 기계 제조업\n"
    "068760,셀트리온제약,KOSDAQ,의약품 제조업\n"
    "999990,가나다식품,KOSPI,기타 식품 제조업\n"
)


def test_merge_adds_new_listings_with_industries_from_their_description() -> None:
    merged, added, renamed = merge_listing(DATA, csv.DictReader(io.StringIO(LISTING)))
    assert (added, renamed) == (3, 1)
    rows = {r["symbol"]: r for r in csv.DictReader(io.StringIO(merged))}
    assert rows["403870.KQ"]["industries"] == "semiconductors"
    assert rows["068760.KQ"]["industries"] == "biotech"
    assert rows["999990.KS"]["industries"] == ""
    assert rows["GS"]["en"] == "Goldman Sachs"  # rows outside the listing are kept
    index = EntityIndex(load_rows(merged))
    # a renamed company answers to both names
    assert [h.entity.symbol for h in index.find("한화오션, LNG선 2척 수주")] == ["042660.KS"]
    assert [h.entity.symbol for h in index.find("대우조선해양, 파업 종료")] == ["042660.KS"]
    assert [h.entity.symbol for h in index.find("에이치피에스피, 신규 장비 공급")] == ["403870.KQ"]


def test_industry_from_description() -> None:
    assert industries_of("반도체 제조업") == ["semiconductors"]
    assert industries_of("") == []


def test_shipped_data_loads_and_every_industry_is_in_the_taxonomy() -> None:
    clf = Classifier()
    keys = {m.key for m in clf.taxonomy.industries}
    text = (Path(__file__).parents[2] / "news" / "data" / "entities.csv").read_text(encoding="utf-8")
    rows = load_rows(text)
    assert len(rows) >= 500
    assert {i for e, _ in rows for i in e.industries} <= keys
    assert sum(1 for e, names in rows if any("\uac00" <= ch <= "\ud7a3" for n in names for ch in n)) >= 200


def test_refresh_tool_reports_and_exits_2_on_a_missing_file(tmp_path: Path) -> None:
    tool = Path(__file__).parents[2] / "tools" / "refresh_entities.py"
    listing = tmp_path / "listing.csv"
    listing.write_text(LISTING, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(tool), str(listing)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "companies added" in done.stdout
    missing = subprocess.run(
        [sys.executable, str(tool), str(tmp_path / "nope.csv")], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 2
    assert "no such listing file" in missing.stderr
