"""reports: Word report drafts and their files

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "reports",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("cycle", sa.SmallInteger(), nullable=True),
        sa.Column("mechanism", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("clusters", sa.String(length=20), nullable=False),
        sa.Column("action_plan_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("recommendations", sa.Integer(), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('upr_midterm', 'treaty_body_followup')", name=op.f("ck_reports_kind")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'ready', 'failed')", name=op.f("ck_reports_status")
        ),
        sa.CheckConstraint("language IN ('en', 'es', 'fr')", name=op.f("ck_reports_language")),
        sa.CheckConstraint(
            "clusters IN ('themes', 'action_plan')", name=op.f("ck_reports_clusters")
        ),
        sa.CheckConstraint(
            "(status = 'failed') = (error IS NOT NULL)", name=op.f("ck_reports_error_iff_failed")
        ),
        sa.ForeignKeyConstraint(
            ["action_plan_id"],
            ["action_plans.id"],
            name=op.f("fk_reports_action_plan_id_action_plans"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_reports_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["country"], ["countries.iso3"], name=op.f("fk_reports_country_countries")
        ),
        sa.ForeignKeyConstraint(
            ["mechanism"], ["mechanisms.code"], name=op.f("fk_reports_mechanism_mechanisms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index("ix_reports_subject", "reports", ["country", "kind", "cycle", "created_at"])
    op.create_index(
        "ix_reports_pending",
        "reports",
        ["status", "updated_at"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "report_files",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_files_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_files")),
    )


def downgrade() -> None:
    op.drop_table("report_files")
    op.drop_index("ix_reports_pending", table_name="reports")
    op.drop_index("ix_reports_subject", table_name="reports")
    op.drop_table("reports")
