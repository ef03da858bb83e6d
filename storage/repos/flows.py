"""Korean market depth (issue 21): investor flows (one row per stock and session, replaced when fetched
again) and ETF holdings (one snapshot per ETF and day, replaced whole)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select, tuple_

from core.types import EtfHolding, InvestorFlow
from storage.models import EtfHoldingRow, InvestorFlowRow
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


class SqlEtfHoldingRepo(Repo):
    async def replace_holdings(self, etf: str, day: date, holdings: Sequence[EtfHolding]) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(EtfHoldingRow).where(EtfHoldingRow.etf == etf, EtfHoldingRow.day == day)
            )
            session.add_all(
                EtfHoldingRow(
                    etf=etf, day=day, code=h.code, name=h.name[:128], weight=h.weight, value=h.value
                )
                for h in {h.code: h for h in holdings}.values()
            )

    async def list_snapshots(self, etf: str, *, count: int = 2) -> list[list[EtfHolding]]:
        """The latest `count` snapshots, newest first, each largest weight first."""
        async with self._sessions() as session:
            days = list(
                await session.scalars(
                    select(EtfHoldingRow.day)
                    .where(EtfHoldingRow.etf == etf)
                    .distinct()
                    .order_by(EtfHoldingRow.day.desc())
                    .limit(count)
                )
            )
            out: list[list[EtfHolding]] = []
            for day in days:
                rows = await session.scalars(
                    select(EtfHoldingRow)
                    .where(EtfHoldingRow.etf == etf, EtfHoldingRow.day == day)
                    .order_by(EtfHoldingRow.weight.desc())
                )
                out.append([EtfHolding(r.etf, r.day, r.code, r.name, r.weight, r.value) for r in rows])
        return out
