"""Fan-outs in the outbox (issue 25): one row per alert and its recipients, written at the bar close;
the per-recipient outbox rows are written from it when a sender claims.

Revision ID: i25c_outbox_fanouts
Revises: i24d_combo_events
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "i25c_outbox_fanouts"
down_revision: str | None = "i24d_combo_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only
DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")  # naive UTC
JSON_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "outbox_fanouts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=191), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("texts", JSON_TEXT, nullable=False),
        sa.Column("markups", JSON_TEXT, nullable=False),
        sa.Column("recipients", JSON_TEXT, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("premium", sa.Boolean(), nullable=False),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.Column("expanded_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["signal_events.id"],
            name=op.f("fk_outbox_fanouts_event_id_signal_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_fanouts")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_outbox_fanouts_key"), "outbox_fanouts", ["key"])
    op.create_index("ix_outbox_fanouts_pending", "outbox_fanouts", ["expanded_by", "premium", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_fanouts_pending", table_name="outbox_fanouts")
    op.drop_index(op.f("ix_outbox_fanouts_key"), table_name="outbox_fanouts")
    op.drop_table("outbox_fanouts")
