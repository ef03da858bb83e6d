"""Combination events (issue 24): `signal_events.signal` holds `combo:A+B` as well as a signal type,
so it widens from 32 to 64 characters (the longest pair of today's types is 29; pattern names are
longer).

Revision ID: i24d_combo_events
Revises: i21b_krx_listings
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i24d_combo_events"
down_revision: str | None = "i21b_krx_listings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signal_events") as batch:  # SQLite alters by copying the table
        batch.alter_column(
            "signal", type_=sa.String(64), existing_type=sa.String(32), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signal_events") as batch:
        batch.alter_column(
            "signal", type_=sa.String(32), existing_type=sa.String(64), existing_nullable=False
        )
