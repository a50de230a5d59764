"""ingestion runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ITEM_STATUSES = "('queued', 'running', 'new', 'updated', 'unchanged', 'skipped', 'failed')"


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "ingestion_runs",
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sources", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('listing', 'running', 'finished')", name=op.f("ck_ingestion_runs_status")
        ),
        sa.CheckConstraint(
            "trigger IN ('api', 'cron', 'cli', 'startup')", name=op.f("ck_ingestion_runs_trigger")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingestion_runs")),
    )
    op.create_index("ix_ingestion_runs_order", "ingestion_runs", ["created_at", "id"])
    op.create_index("ix_ingestion_runs_status", "ingestion_runs", ["status"])
    op.create_table(
        "ingestion_items",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(length=10), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("symbol", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("recommendations_created", sa.Integer(), nullable=False),
        sa.Column("recommendations_updated", sa.Integer(), nullable=False),
        sa.Column("positions_changed", sa.Integer(), nullable=False),
        sa.Column("unresolved_names", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(f"status IN {_ITEM_STATUSES}", name=op.f("ck_ingestion_items_status")),
        sa.CheckConstraint(
            "source_type IN ('file', 'url')", name=op.f("ck_ingestion_items_source_type")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_ingestion_items_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ingestion_runs.id"],
            name=op.f("fk_ingestion_items_run_id_ingestion_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingestion_items")),
        sa.UniqueConstraint(
            "run_id", "source_key", name=op.f("uq_ingestion_items_run_id_source_key")
        ),
    )
    op.create_index(op.f("ix_ingestion_items_document_id"), "ingestion_items", ["document_id"])
    op.create_index(op.f("ix_ingestion_items_run_id"), "ingestion_items", ["run_id"])
    op.create_index("ix_ingestion_items_pending", "ingestion_items", ["status", "updated_at"])
    op.create_table(
        "ingestion_source_cache",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_ingestion_source_cache")),
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_table("ingestion_source_cache")
    op.drop_index("ix_ingestion_items_pending", table_name="ingestion_items")
    op.drop_index(op.f("ix_ingestion_items_run_id"), table_name="ingestion_items")
    op.drop_index(op.f("ix_ingestion_items_document_id"), table_name="ingestion_items")
    op.drop_table("ingestion_items")
    op.drop_index("ix_ingestion_runs_status", table_name="ingestion_runs")
    op.drop_index("ix_ingestion_runs_order", table_name="ingestion_runs")
    op.drop_table("ingestion_runs")
