"""ListingRepo on both databases: upsert by code, list by status, Korean names round-trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from core.ports import Repositories
from core.types import Listing, ListingStatus

SAMSUNG = Listing(
    "005930", "삼성전자", "KOSPI", ListingStatus.LISTED, date(1975, 6, 11), "Samsung Electronics"
)
NEWCO = Listing("0088M0", "새상장", "KOSDAQ", ListingStatus.LISTED, date(2026, 12, 4))


async def test_listings_upsert_list_and_status(repos: Repositories) -> None:
    assert await repos.listings.upsert_listings([SAMSUNG, NEWCO, NEWCO]) == 2
    assert await repos.listings.list_listings() == [SAMSUNG, NEWCO]
    gone = replace(
        NEWCO, status=ListingStatus.DELISTED, since=date(2026, 12, 7), reason="상장폐지 사유 " * 40
    )
    halted = replace(SAMSUNG, status=ListingStatus.HALTED, since=date(2026, 12, 7))
    await repos.listings.upsert_listings([gone, halted])
    assert await repos.listings.list_listings(status=ListingStatus.HALTED) == [halted]
    got = await repos.listings.get_listing("0088M0")
    assert got is not None
    assert got.status is ListingStatus.DELISTED
    assert got.reason == gone.reason[:255]
    assert await repos.listings.get_listing("999999") is None
    assert await repos.listings.upsert_listings([]) == 0


async def test_find_listings_by_korean_or_english_name(repos: Repositories) -> None:
    old = Listing("111110", "새상장", "KOSPI", ListingStatus.DELISTED, date(2020, 1, 2))
    await repos.listings.upsert_listings([SAMSUNG, NEWCO, old])
    assert await repos.listings.find_listings("삼성전자") == [SAMSUNG]
    assert await repos.listings.find_listings(" SAMSUNG electronics ") == [SAMSUNG]
    assert await repos.listings.find_listings("새상장") == [NEWCO, old]  # listed before delisted
    assert await repos.listings.find_listings("없는회사") == []
