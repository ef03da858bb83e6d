"""Data versions (issue 25): a counter per kind of reference data, raised with every write to it, so
that the collector can keep watchers, instrument names and ratings in memory between bar closes.

Revision ID: i25d_data_versions
Revises: i25c_outbox_fanouts
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i25d_data_versions"
down_revision: str | None = "i25c_outbox_fanouts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    table = op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
        **TABLE_OPTIONS,
    )
    op.bulk_insert(table, [{"name": n, "version": 0} for n in ("watchers", "instruments", "ratings")])


def downgrade() -> None:
    op.drop_table("data_versions")
