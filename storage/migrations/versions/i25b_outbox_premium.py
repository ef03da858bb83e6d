"""Outbox rows of premium chats (issue 25): claimed first when a backlog forms, and sent with
`allow_paid_broadcast` when the operator enables paid broadcast.

Revision ID: i25b_outbox_premium
Revises: i28_outbox_inflight
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i25b_outbox_premium"
down_revision: str | None = "i28_outbox_inflight"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("premium", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_outbox_status_premium_id", "outbox", ["status", "premium", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_premium_id", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("premium")
