"""Initial schema: every table finsignal needs, on SQLite and MySQL/MariaDB.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Written against the models of this revision, with the types spelled out here so that later model
changes cannot alter what this migration creates. MySQL tables are InnoDB, utf8mb4 with a binary
collation (comparisons behave as on SQLite; Korean text round-trips). Long text that must be unique
(news URLs) is unique through a SHA-256 column, under MySQL's index length limits.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only
DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")  # naive UTC
JSON_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "bars",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("ts", DATETIME, nullable=False),
        sa.Column("open", sa.Numeric(precision=20, scale=8, asdecimal=False), nullable=False),
        sa.Column("high", sa.Numeric(precision=20, scale=8, asdecimal=False), nullable=False),
        sa.Column("low", sa.Numeric(precision=20, scale=8, asdecimal=False), nullable=False),
        sa.Column("close", sa.Numeric(precision=20, scale=8, asdecimal=False), nullable=False),
        sa.Column("volume", sa.Numeric(precision=28, scale=4, asdecimal=False), nullable=False),
        sa.Column("adj_factor", sa.Numeric(precision=24, scale=12, asdecimal=False), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("flags", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "interval", "ts", name=op.f("pk_bars")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("quiet_mode", sa.String(length=8), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("news_alerts", sa.Boolean(), nullable=False),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.Column("updated_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_chats")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "fetch_cursors",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("last_ts", DATETIME, nullable=False),
        sa.Column("updated_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("symbol", "source", "interval", name=op.f("pk_fetch_cursors")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "instruments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("market", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("source_symbols", JSON_TEXT, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("symbol", name=op.f("uq_instruments_symbol")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=191), nullable=False),
        sa.Column("started_at", DATETIME, nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_job_runs")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=191), nullable=False),
        sa.Column("owner", sa.String(length=191), nullable=False),
        sa.Column("expires_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "news_items",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("guid_hash", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", sa.String(length=191), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("symbols", sa.Text(), nullable=False),
        sa.Column("industries", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("published", DATETIME, nullable=False),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_items")),
        sa.UniqueConstraint("url_hash", name=op.f("uq_news_items_url_hash")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_news_items_fingerprint"), "news_items", ["fingerprint"])
    op.create_index(op.f("ix_news_items_guid_hash"), "news_items", ["guid_hash"])
    op.create_index(op.f("ix_news_items_published"), "news_items", ["published"])
    op.create_table(
        "ratings",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("hit_rate", sa.Double(), nullable=True),
        sa.Column("mean_return", sa.Double(), nullable=True),
        sa.Column("median_return", sa.Double(), nullable=True),
        sa.Column("baseline_mean", sa.Double(), nullable=True),
        sa.Column("excess", sa.Double(), nullable=True),
        sa.Column("t_stat", sa.Double(), nullable=True),
        sa.Column("worst_mae", sa.Double(), nullable=True),
        sa.Column("grade", sa.String(length=32), nullable=False),
        sa.Column("excluded", sa.Integer(), nullable=False),
        sa.Column("params", JSON_TEXT, nullable=False),
        sa.Column("period_start", DATETIME, nullable=False),
        sa.Column("period_end", DATETIME, nullable=False),
        sa.Column("run_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("symbol", "signal", "horizon", name=op.f("uq_ratings_symbol_signal_horizon")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "signal_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("interval", sa.String(length=8), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("ts", DATETIME, nullable=False),
        sa.Column("close", sa.Numeric(precision=20, scale=8, asdecimal=False), nullable=False),
        sa.Column("strength", sa.Double(), nullable=False),
        sa.Column("values", JSON_TEXT, nullable=False),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_events")),
        sa.UniqueConstraint(
            "symbol", "interval", "signal", "ts", name=op.f("uq_signal_events_symbol_interval_signal_ts")
        ),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_signal_events_ts"), "signal_events", ["ts"])
    op.create_table(
        "source_health",
        sa.Column("source", sa.String(length=191), nullable=False),
        sa.Column("breaker", sa.String(length=16), nullable=False),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_latency_ms", sa.Double(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("updated_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_health")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "state_blobs",
        sa.Column("key", sa.String(length=191), nullable=False),
        sa.Column("value", BLOB, nullable=False),
        sa.Column("updated_at", DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_state_blobs")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(length=191), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("reply_markup", JSON_TEXT, nullable=True),
        sa.Column("photo", BLOB, nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("not_before", DATETIME, nullable=True),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.Column("sent_at", DATETIME, nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["signal_events.id"],
            name=op.f("fk_outbox_event_id_signal_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_dedup_key")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_outbox_chat_id_status"), "outbox", ["chat_id", "status"])
    op.create_index(op.f("ix_outbox_status_not_before"), "outbox", ["status", "not_before"])
    op.create_table(
        "watches",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.Column("muted", sa.Text(), nullable=False),
        sa.Column("created_at", DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.chat_id"], name=op.f("fk_watches_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watches")),
        sa.UniqueConstraint("chat_id", "symbol", name=op.f("uq_watches_chat_id_symbol")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_watches_symbol"), "watches", ["symbol"])


def downgrade() -> None:
    op.drop_table("watches")
    op.drop_table("outbox")
    op.drop_table("state_blobs")
    op.drop_table("source_health")
    op.drop_table("signal_events")
    op.drop_table("ratings")
    op.drop_table("news_items")
    op.drop_table("leases")
    op.drop_table("job_runs")
    op.drop_table("instruments")
    op.drop_table("fetch_cursors")
    op.drop_table("chats")
    op.drop_table("bars")
