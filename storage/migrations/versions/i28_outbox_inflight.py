"""Outbox rows in flight (issue 28): the sender that claimed a row, when, and when its send started.

A pending row with `claimed_by` set is in flight: no other round or sender takes it until that sender
marks it or is found gone (see `storage.repos.events.SqlOutboxRepo.recover_claims`).

Revision ID: i28_outbox_inflight
Revises: i21_investor_flows
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "i28_outbox_inflight"
down_revision: str | None = "i21_investor_flows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")  # naive UTC


def upgrade() -> None:
    op.add_column("outbox", sa.Column("claimed_by", sa.String(length=100), nullable=True))
    op.add_column("outbox", sa.Column("claimed_at", DATETIME, nullable=True))
    op.add_column("outbox", sa.Column("sending_at", DATETIME, nullable=True))
    op.create_index(op.f("ix_outbox_claimed_by"), "outbox", ["claimed_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_claimed_by"), table_name="outbox")
    with op.batch_alter_table("outbox") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("sending_at")
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
