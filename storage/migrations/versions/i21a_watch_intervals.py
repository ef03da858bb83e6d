"""Watches on timeframes (issue 21): the intervals a watch alerts on (',1d,' daily, ',5m,' ...).

Existing watches keep alerting on daily bars: they are set to ',1d,' here (and a row left empty reads
as daily too).

Revision ID: i21a_watch_intervals
Revises: i24c_rating_risk
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i21a_watch_intervals"
down_revision: str | None = "i24c_rating_risk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("watches", sa.Column("intervals", sa.Text(), nullable=True))
    op.execute("UPDATE watches SET intervals = ',1d,'")
    with op.batch_alter_table("watches") as batch:
        batch.alter_column("intervals", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("watches") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("intervals")
