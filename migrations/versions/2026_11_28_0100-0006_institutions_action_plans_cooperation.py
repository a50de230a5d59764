"""institutions action plans cooperation

Institutions, the national mechanism for reporting and follow-up (members, focal points),
national action plans with actions, their links and updates, and offers of cooperation.
The free-text institution names kept on recommendations become institutions (kind
"other") linked to the recommendations; the text column stays as the denormalized list
of names, so nothing is lost either way.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "recommendation_institutions",
    "action_updates",
    "action_recommendations",
    "action_institutions",
    "national_mechanism_members",
    "focal_points",
    "actions",
    "national_mechanisms",
    "institutions",
    "cooperation_offers",
    "action_plans",
)

# Every distinct (State, name) in the free text becomes an institution; names are
# compared as stored (the recommendations API already normalizes whitespace).
MIGRATE_FREE_TEXT = """
INSERT INTO institutions (id, country, name, kind, version, created_at, updated_at)
SELECT gen_random_uuid(), s.state_under_review, s.name, 'other', 1, now(), now()
FROM (
    SELECT DISTINCT r.state_under_review, left(btrim(n.name), 300) AS name
    FROM recommendations r, unnest(r.institutions) AS n(name)
    WHERE btrim(n.name) <> ''
) s
ON CONFLICT (country, name) DO NOTHING
"""

LINK_FREE_TEXT = """
INSERT INTO recommendation_institutions (recommendation_id, institution_id)
SELECT DISTINCT r.id, i.id
FROM recommendations r, unnest(r.institutions) AS n(name)
JOIN institutions i ON i.name = left(btrim(n.name), 300)
WHERE i.country = r.state_under_review
ON CONFLICT DO NOTHING
"""


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "action_plans",
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("adoption_reference", sa.Text(), nullable=True),
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
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'adopted', 'ended')", name=op.f("ck_action_plans_status")
        ),
        sa.CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name=op.f("ck_action_plans_period"),
        ),
        sa.ForeignKeyConstraint(
            ["country"], ["countries.iso3"], name=op.f("fk_action_plans_country_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plans")),
    )
    op.create_index(
        "ix_action_plans_order", "action_plans", ["country", "created_at", "id"], unique=False
    )
    op.create_index("ix_action_plans_status", "action_plans", ["status", "country"], unique=False)
    op.create_table(
        "cooperation_offers",
        sa.Column("offered_by_state", sa.String(length=3), nullable=True),
        sa.Column("offered_by_organisation", sa.String(length=300), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("themes", postgresql.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("sdg_targets", postgresql.ARRAY(sa.String(length=10)), nullable=False),
        sa.Column("sdg_goals", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("countries", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("recommendation_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
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
            "(offered_by_state IS NULL) <> (offered_by_organisation IS NULL)",
            name=op.f("ck_cooperation_offers_offered_by"),
        ),
        sa.CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name=op.f("ck_cooperation_offers_period"),
        ),
        sa.ForeignKeyConstraint(
            ["offered_by_state"],
            ["countries.iso3"],
            name=op.f("fk_cooperation_offers_offered_by_state_countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_offers")),
    )
    op.create_index(
        "ix_cooperation_offers_countries",
        "cooperation_offers",
        ["countries"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_cooperation_offers_order", "cooperation_offers", ["created_at", "id"], unique=False
    )
    op.create_index(
        "ix_cooperation_offers_sdg_goals",
        "cooperation_offers",
        ["sdg_goals"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_cooperation_offers_sdg_targets",
        "cooperation_offers",
        ["sdg_targets"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_cooperation_offers_state", "cooperation_offers", ["offered_by_state"], unique=False
    )
    op.create_index(
        "ix_cooperation_offers_themes",
        "cooperation_offers",
        ["themes"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "institutions",
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("acronym", sa.String(length=50), nullable=True),
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
            "kind IN ('ministry', 'agency', 'parliament', 'judiciary', 'nhri', 'civil_society', 'other')",
            name=op.f("ck_institutions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["country"], ["countries.iso3"], name=op.f("fk_institutions_country_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
        sa.UniqueConstraint("country", "name", name=op.f("uq_institutions_country_name")),
    )
    op.create_index("ix_institutions_kind", "institutions", ["kind", "country"], unique=False)
    op.create_table(
        "national_mechanisms",
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("reporting_calendar", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["country"], ["countries.iso3"], name=op.f("fk_national_mechanisms_country_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_mechanisms")),
        sa.UniqueConstraint("country", name=op.f("uq_national_mechanisms_country")),
    )
    op.create_table(
        "actions",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("indicators", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("budget", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
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
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'ongoing', 'completed', 'delayed', 'cancelled')",
            name=op.f("ck_actions_status"),
        ),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name=op.f("ck_actions_budget")),
        sa.CheckConstraint(
            "due_date IS NULL OR start_date IS NULL OR due_date >= start_date",
            name=op.f("ck_actions_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["country"], ["countries.iso3"], name=op.f("fk_actions_country_countries")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["action_plans.id"],
            name=op.f("fk_actions_plan_id_action_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index("ix_actions_country_due", "actions", ["country", "due_date"], unique=False)
    op.create_index("ix_actions_country_status", "actions", ["country", "status"], unique=False)
    op.create_index(
        "ix_actions_plan_order", "actions", ["plan_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "focal_points",
        sa.Column("mechanism_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=300), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("institution_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_focal_points_institution_id_institutions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mechanism_id"],
            ["national_mechanisms.id"],
            name=op.f("fk_focal_points_mechanism_id_national_mechanisms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focal_points")),
    )
    op.create_index(
        "ix_focal_points_mechanism", "focal_points", ["mechanism_id", "ordinal"], unique=False
    )
    op.create_table(
        "national_mechanism_members",
        sa.Column("mechanism_id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_national_mechanism_members_institution_id_institutions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["mechanism_id"],
            ["national_mechanisms.id"],
            name=op.f("fk_national_mechanism_members_mechanism_id_national_mechanisms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "mechanism_id", "institution_id", name=op.f("pk_national_mechanism_members")
        ),
    )
    op.create_index(
        "ix_national_mechanism_members_institution",
        "national_mechanism_members",
        ["institution_id"],
        unique=False,
    )
    op.create_table(
        "action_institutions",
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_action_institutions_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_action_institutions_institution_id_institutions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("action_id", "institution_id", name=op.f("pk_action_institutions")),
    )
    op.create_index(
        "ix_action_institutions_institution",
        "action_institutions",
        ["institution_id"],
        unique=False,
    )
    op.create_table(
        "action_recommendations",
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_action_recommendations_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_action_recommendations_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "action_id", "recommendation_id", name=op.f("pk_action_recommendations")
        ),
    )
    op.create_index(
        "ix_action_recommendations_recommendation",
        "action_recommendations",
        ["recommendation_id"],
        unique=False,
    )
    op.create_table(
        "action_updates",
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'ongoing', 'completed', 'delayed', 'cancelled')",
            name=op.f("ck_action_updates_status"),
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_action_updates_action_id_actions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_action_updates_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_updates")),
    )
    op.create_index(
        "ix_action_updates_action", "action_updates", ["action_id", "created_at"], unique=False
    )
    op.create_table(
        "recommendation_institutions",
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_recommendation_institutions_institution_id_institutions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_recommendation_institutions_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "institution_id", name=op.f("pk_recommendation_institutions")
        ),
    )
    op.create_index(
        "ix_recommendation_institutions_institution",
        "recommendation_institutions",
        ["institution_id"],
        unique=False,
    )

    op.execute(MIGRATE_FREE_TEXT)
    op.execute(LINK_FREE_TEXT)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    # recommendations.institutions (the names) is left as it is: nothing is lost.
    for table in TABLES:
        op.drop_table(table)
