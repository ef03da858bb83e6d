"""KRX listings (issue 21): one row per stock code, listed / halted / delisted since a day.

Revision ID: i21b_krx_listings
Revises: i24b_user_alerts
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i21b_krx_listings"
down_revision: str | None = "i24b_user_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "krx_listings",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=128), nullable=False),
        sa.Column("market", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_krx_listings")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_krx_listings_status"), "krx_listings", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_krx_listings_status"), table_name="krx_listings")
    op.drop_table("krx_listings")
