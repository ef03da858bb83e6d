"""Investor flows (issue 21): one row per stock and session, replaced when fetched again."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, tuple_

from core.types import InvestorFlow
from storage.models import InvestorFlowRow
from storage.repos.base import Repo

_FIELDS = (
    "close",
    "individual_qty",
    "foreign_qty",
    "institution_qty",
    "individual_value",
    "foreign_value",
    "institution_value",
    "source",
)


def _flow(row: InvestorFlowRow) -> InvestorFlow:
    return InvestorFlow(row.symbol, row.day, **{f: getattr(row, f) for f in _FIELDS})


class SqlInvestorFlowRepo(Repo):
    async def upsert_flows(self, flows: Sequence[InvestorFlow]) -> int:
        latest = {(f.symbol, f.day): f for f in flows}
        if not latest:
            return 0
        async with self._sessions.begin() as session:
            keys = list(latest)
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                await session.execute(
                    delete(InvestorFlowRow).where(
                        tuple_(InvestorFlowRow.symbol, InvestorFlowRow.day).in_(chunk)
                    )
                )
            session.add_all(
                InvestorFlowRow(symbol=f.symbol, day=f.day, **{k: getattr(f, k) for k in _FIELDS})
                for f in latest.values()
            )
        return len(latest)

    async def list_flows(self, symbol: str, *, limit: int = 20) -> list[InvestorFlow]:
        stmt = (
            select(InvestorFlowRow)
            .where(InvestorFlowRow.symbol == symbol)
            .order_by(InvestorFlowRow.day.desc())
            .limit(limit)
        )
        async with self._sessions() as session:
            rows = list(await session.scalars(stmt))
        return [_flow(r) for r in reversed(rows)]
