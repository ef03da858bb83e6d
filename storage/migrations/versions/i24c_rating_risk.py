"""Ratings with risk (issue 24): the standard deviation of outcomes, the median and worst max
drawdown within the holding period, and the return-to-risk ratio, beside the existing figures.

Revision ID: i24c_rating_risk
Revises: i25b_outbox_premium
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i24c_rating_risk"
down_revision: str | None = "i25b_outbox_premium"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("sd_return", "median_drawdown", "worst_drawdown", "return_risk")


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column("ratings", sa.Column(name, sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ratings") as batch:  # SQLite drops columns by copying the table
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
