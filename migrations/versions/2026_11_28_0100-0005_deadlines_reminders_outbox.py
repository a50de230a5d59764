"""deadlines reminders outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "event_type IN ('recommendation.position_changed', 'recommendation.status_changed', 'programme.updated', 'mandate.updated')",
            name=op.f("ck_outbox_event_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_undispatched",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("dispatched_at IS NULL"),
    )
    op.create_table(
        "reminder_scans",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("scanned_through", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_scans")),
    )
    op.create_table(
        "deadlines",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.String(length=60), nullable=True),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
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
        sa.CheckConstraint(
            "(origin = 'derived') = (rule IS NOT NULL)", name=op.f("ck_deadlines_rule_iff_derived")
        ),
        sa.CheckConstraint(
            "kind IN ('hrc_response', 'upr_midterm_report', 'upr_next_review', 'treaty_followup', 'mandate_end', 'mandate_renewal', 'programme_milestone', 'programme_evaluation', 'other')",
            name=op.f("ck_deadlines_kind"),
        ),
        sa.CheckConstraint("origin IN ('derived', 'manual')", name=op.f("ck_deadlines_origin")),
        sa.CheckConstraint("status IN ('open', 'met', 'missed')", name=op.f("ck_deadlines_status")),
        sa.CheckConstraint(
            "subject_type IN ('recommendation', 'document', 'programme', 'mandate', 'country')",
            name=op.f("ck_deadlines_subject_type"),
        ),
        sa.ForeignKeyConstraint(
            ["country"], ["countries.iso3"], name=op.f("fk_deadlines_country_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
    )
    op.create_index(
        "ix_deadlines_country_due", "deadlines", ["country", "due_date", "id"], unique=False
    )
    op.create_index("ix_deadlines_due", "deadlines", ["due_date", "id"], unique=False)
    op.create_index(
        "ix_deadlines_scan",
        "deadlines",
        ["due_date", "country", "kind"],
        unique=False,
        postgresql_where=sa.text("status <> 'met'"),
    )
    op.create_index(
        "ix_deadlines_subject", "deadlines", ["subject_type", "subject_id"], unique=False
    )
    op.create_index("ix_deadlines_updated", "deadlines", ["updated_at"], unique=False)
    op.create_index(
        "uq_deadlines_rule_subject",
        "deadlines",
        ["rule", "subject_type", "subject_id"],
        unique=True,
    )
    op.create_table(
        "subscriptions",
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("countries", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("lead_days", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
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
        sa.CheckConstraint(
            "(channel = 'email' AND address IS NOT NULL AND url IS NULL) OR (channel = 'webhook' AND url IS NOT NULL AND secret IS NOT NULL)",
            name=op.f("ck_subscriptions_target"),
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'webhook')", name=op.f("ck_subscriptions_channel")
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_subscriptions_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(
        "ix_subscriptions_events", "subscriptions", ["events"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_subscriptions_owner", "subscriptions", ["api_key_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "reminders",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("deadline_id", sa.Uuid(), nullable=True),
        sa.Column("window_days", sa.SmallInteger(), nullable=True),
        sa.Column("outbox_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "event_type IN ('deadline.reminder', 'recommendation.position_changed', 'recommendation.status_changed', 'programme.updated', 'mandate.updated')",
            name=op.f("ck_reminders_event_type"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'delivered', 'failed')",
            name=op.f("ck_reminders_status"),
        ),
        sa.CheckConstraint(
            "(deadline_id IS NOT NULL AND window_days IS NOT NULL AND outbox_id IS NULL) OR (deadline_id IS NULL AND window_days IS NULL AND outbox_id IS NOT NULL)",
            name=op.f("ck_reminders_source"),
        ),
        sa.ForeignKeyConstraint(
            ["deadline_id"],
            ["deadlines.id"],
            name=op.f("fk_reminders_deadline_id_deadlines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_reminders_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_reminders_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "deadline_id",
            "subscription_id",
            "window_days",
            name=op.f("uq_reminders_deadline_id_subscription_id_window_days"),
        ),
    )
    # Partial: only change-event reminders have an outbox id; the scan's deadline
    # reminders would only add dead entries (and index maintenance) here.
    op.create_index(
        "uq_reminders_outbox_id_subscription_id",
        "reminders",
        ["outbox_id", "subscription_id"],
        unique=True,
        postgresql_where=sa.text("outbox_id IS NOT NULL"),
    )
    op.create_index("ix_reminders_order", "reminders", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_reminders_subscription",
        "reminders",
        ["subscription_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_reminders_unfinished",
        "reminders",
        ["status", "next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'delivering')"),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reminder_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["reminder_id"],
            ["reminders.id"],
            name=op.f("fk_delivery_attempts_reminder_id_reminders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_delivery_attempts_reminder_id_id"),
        "delivery_attempts",
        ["reminder_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    # Dropping a table drops its indexes too.
    for table in (
        "delivery_attempts",
        "reminders",
        "subscriptions",
        "deadlines",
        "reminder_scans",
        "outbox",
    ):
        op.drop_table(table)
