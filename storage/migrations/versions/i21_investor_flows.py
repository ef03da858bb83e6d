"""Korean market depth (issue 21): investor flows (daily net buying per KRX stock by individuals,
foreigners and institutions) and ETF holdings (one snapshot of each ETF's portfolio a day).

Revision ID: i21_investor_flows
Revises: i19_apikeys
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i21_investor_flows"
down_revision: str | None = "i19_apikeys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
VOLUME = sa.Numeric(28, 4)


def upgrade() -> None:
    op.create_table(
        "investor_flows",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("close", sa.Numeric(20, 8), nullable=True),
        sa.Column("individual_qty", VOLUME, nullable=False),
        sa.Column("foreign_qty", VOLUME, nullable=False),
        sa.Column("institution_qty", VOLUME, nullable=False),
        sa.Column("individual_value", VOLUME, nullable=False),
        sa.Column("foreign_value", VOLUME, nullable=False),
        sa.Column("institution_value", VOLUME, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "day", name=op.f("pk_investor_flows")),
        **TABLE_OPTIONS,
    )


    op.create_table(
        "etf_holdings",
        sa.Column("etf", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("weight", sa.Numeric(24, 12), nullable=False),
        sa.Column("value", VOLUME, nullable=True),
        sa.PrimaryKeyConstraint("etf", "day", "code", name=op.f("pk_etf_holdings")),
        **TABLE_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("etf_holdings")
    op.drop_table("investor_flows")
