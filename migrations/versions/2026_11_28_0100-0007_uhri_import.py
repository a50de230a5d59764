"""uhri import

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database.
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Nullable column and a default: no table rewrite (PostgreSQL >= 11).
    op.add_column("recommendations", sa.Column("uhri_id", sa.String(length=64), nullable=True))
    op.add_column(
        "recommendations",
        sa.Column(
            "provenance",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.create_unique_constraint(op.f("uq_recommendations_uhri_id"), "recommendations", ["uhri_id"])
    op.create_table(
        "uhri_imports",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("source_format", sa.String(length=10), nullable=True),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("tombstoned", sa.Integer(), nullable=False),
        sa.Column("unmapped", sa.Integer(), nullable=False),
        sa.Column("record_errors", sa.Integer(), nullable=False),
        sa.Column("unmapped_labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error_samples", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'not_modified')",
            name=op.f("ck_uhri_imports_status"),
        ),
        sa.CheckConstraint(
            "trigger IN ('cli', 'cron', 'api')", name=op.f("ck_uhri_imports_trigger")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uhri_imports")),
    )
    op.create_index("ix_uhri_imports_started", "uhri_imports", ["started_at", "id"])
    op.create_index(
        "ix_uhri_imports_source_status", "uhri_imports", ["source", "status", "started_at"]
    )
    op.create_table(
        "uhri_records",
        sa.Column("uhri_id", sa.String(length=64), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=True),
        sa.Column("content_hash", sa.LargeBinary(), nullable=False),
        sa.Column("first_import_id", sa.Uuid(), nullable=True),
        sa.Column("last_changed_import_id", sa.Uuid(), nullable=True),
        sa.Column("last_seen_import_id", sa.Uuid(), nullable=True),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("tombstoned_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_uhri_records_recommendation_id_recommendations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("uhri_id", name=op.f("pk_uhri_records")),
    )
    op.create_index(
        op.f("ix_uhri_records_recommendation_id"), "uhri_records", ["recommendation_id"]
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(op.f("ix_uhri_records_recommendation_id"), table_name="uhri_records")
    op.drop_table("uhri_records")
    op.drop_index("ix_uhri_imports_source_status", table_name="uhri_imports")
    op.drop_index("ix_uhri_imports_started", table_name="uhri_imports")
    op.drop_table("uhri_imports")
    op.drop_constraint(op.f("uq_recommendations_uhri_id"), "recommendations", type_="unique")
    op.drop_column("recommendations", "provenance")
    op.drop_column("recommendations", "uhri_id")
