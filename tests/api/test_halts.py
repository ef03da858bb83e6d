"""A halted KRX stock says so in the API quote (issue 21); other quotes say halted: false."""

from __future__ import annotations

from datetime import date

from core.types import Listing, ListingStatus
from storage import Database
from tests.api.conftest import READ_KEY, START, ApiEnv, closes
from tests.fakes.source_payloads import daily_rows

H = {"X-API-Key": READ_KEY}


async def test_quote_of_a_halted_stock_is_marked(api: ApiEnv, db: Database) -> None:
    api.fake.add_yahoo("005930.KS", daily_rows(START, [70_000.0 + c for c in closes()]))
    await db.repos.listings.upsert_listings(
        [Listing("005930", "삼성전자", "KOSPI", ListingStatus.HALTED, date(2026, 12, 7))]
    )
    halted = await api.client.get("/v1/quotes/005930.KS", headers=H)
    assert halted.status_code == 200, halted.text
    assert halted.json()["halted"] is True
    plain = await api.client.get("/v1/quotes/AAPL", headers=H)
    assert plain.json()["halted"] is False
    both = await api.client.get("/v1/quotes?symbols=005930.KS,AAPL", headers=H)
    assert [q["halted"] for q in both.json()["quotes"]] == [True, False]
