"""Chats' own alerts (issue 24): `/alert SYMBOL above|below PRICE`, `move N%`, `rsi above|below N`.

Revision ID: i24b_user_alerts
Revises: i21a_watch_intervals
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "i24b_user_alerts"
down_revision: str | None = "i21a_watch_intervals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")  # naive UTC


def upgrade() -> None:
    op.create_table(
        "user_alerts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Numeric(20, 8), nullable=False),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.Column("fired_at", DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.chat_id"],
            name=op.f("fk_user_alerts_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_alerts")),
        sa.UniqueConstraint(
            "chat_id", "symbol", "rule", "level", name=op.f("uq_user_alerts_chat_id_symbol_rule_level")
        ),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_user_alerts_symbol"), "user_alerts", ["symbol"])


def downgrade() -> None:
    op.drop_index(op.f("ix_user_alerts_symbol"), table_name="user_alerts")
    op.drop_table("user_alerts")
