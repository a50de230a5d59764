"""mandates, programmes, partners, links to recommendations, indicators, milestones,
evaluations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (not imported from the models) so the migration never changes afterwards.
PARTNERS = (
    ("UNODC", "United Nations Office on Drugs and Crime"),
    ("UNWOMEN", "UN Women"),
    ("UNDP", "United Nations Development Programme"),
    ("UNICEF", "United Nations Children's Fund"),
    ("UNHCR", "Office of the United Nations High Commissioner for Refugees"),
    ("UNFPA", "United Nations Population Fund"),
    ("ILO", "International Labour Organization"),
    ("WHO", "World Health Organization"),
    ("UNESCO", "United Nations Educational, Scientific and Cultural Organization"),
    ("OHCHR", "Office of the United Nations High Commissioner for Human Rights"),
    ("IOM", "International Organization for Migration"),
    ("UNOPS", "United Nations Office for Project Services"),
    ("EU", "European Union"),
    ("WB", "World Bank"),
)


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "partners",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_partners")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
    )
    op.bulk_insert(
        sa.table("partners", sa.column("code", sa.String), sa.column("name", sa.String)),
        [{"code": code, "name": name} for code, name in PARTNERS],
    )
    op.create_table(
        "mandates",
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("countries", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("legal_basis_kind", sa.String(length=30), nullable=False),
        sa.Column("legal_basis_reference", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("renewal_due_on", sa.Date(), nullable=True),
        sa.Column("funding_required", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("funding_secured", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("funding_sources", postgresql.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "to_tsvector('english'::regconfig, title || ' ' || legal_basis_reference || ' ' || coalesce(region, ''))",
                persisted=True,
            ),
            nullable=False,
        ),
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
            "legal_basis_kind IN ('host_country_agreement', 'hrc_resolution', 'sc_resolution', 'ga_resolution', 'other')",
            name=op.f("ck_mandates_legal_basis_kind"),
        ),
        sa.CheckConstraint(
            "type IN ('country_office', 'regional_office', 'human_rights_adviser', 'peace_mission_component', 'other')",
            name=op.f("ck_mandates_type"),
        ),
        sa.CheckConstraint(
            "(country IS NULL) <> (region IS NULL)", name=op.f("ck_mandates_country_xor_region")
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_mandates_period")
        ),
        sa.CheckConstraint(
            "funding_required IS NULL OR funding_required >= 0", name=op.f("ck_mandates_required")
        ),
        sa.CheckConstraint(
            "funding_secured IS NULL OR funding_secured >= 0", name=op.f("ck_mandates_secured")
        ),
        sa.ForeignKeyConstraint(
            ["country"], ["countries.iso3"], name=op.f("fk_mandates_country_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandates")),
    )
    op.create_index(
        "ix_mandates_countries", "mandates", ["countries"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_mandates_end_date", "mandates", ["end_date"], unique=False)
    op.create_index("ix_mandates_order", "mandates", ["start_date", "id"], unique=False)
    op.create_index(
        "ix_mandates_search", "mandates", ["search"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_mandates_type", "mandates", ["type"], unique=False)
    op.create_table(
        "mandate_renewals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("mandate_id", sa.Uuid(), nullable=False),
        sa.Column("renewed_on", sa.Date(), nullable=False),
        sa.Column("previous_end", sa.Date(), nullable=True),
        sa.Column("new_end", sa.Date(), nullable=False),
        sa.Column("legal_basis_reference", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandates.id"],
            name=op.f("fk_mandate_renewals_mandate_id_mandates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandate_renewals")),
    )
    op.create_index(
        op.f("ix_mandate_renewals_mandate_id_id"),
        "mandate_renewals",
        ["mandate_id", "id"],
        unique=False,
    )
    op.create_table(
        "programmes",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("countries", postgresql.ARRAY(sa.String(length=3)), nullable=False),
        sa.Column("mandate_id", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("budget", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("objectives", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("target_groups", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("themes", postgresql.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("sdg_targets", postgresql.ARRAY(sa.String(length=10)), nullable=False),
        sa.Column("sdg_goals", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "to_tsvector('english'::regconfig, title || ' ' || summary)", persisted=True
            ),
            nullable=False,
        ),
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
            "target_groups <@ ARRAY['police_academies', 'military_academies', 'justice_sector', 'prison_administration', 'national_mechanisms', 'nhris', 'parliament', 'government', 'civil_society', 'media', 'other']::varchar[]",
            name=op.f("ck_programmes_target_groups"),
        ),
        sa.CheckConstraint(
            "(country IS NULL) <> (region IS NULL)", name=op.f("ck_programmes_country_xor_region")
        ),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name=op.f("ck_programmes_budget")),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_programmes_period")),
        sa.ForeignKeyConstraint(
            ["country"], ["countries.iso3"], name=op.f("fk_programmes_country_countries")
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandates.id"],
            name=op.f("fk_programmes_mandate_id_mandates"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
    )
    op.create_index(
        "ix_programmes_countries", "programmes", ["countries"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_programmes_end_date", "programmes", ["end_date"], unique=False)
    op.create_index("ix_programmes_mandate_id", "programmes", ["mandate_id"], unique=False)
    op.create_index("ix_programmes_order", "programmes", ["start_date", "id"], unique=False)
    op.create_index(
        "ix_programmes_sdg_goals", "programmes", ["sdg_goals"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_programmes_sdg_targets",
        "programmes",
        ["sdg_targets"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_programmes_search", "programmes", ["search"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "ix_programmes_themes", "programmes", ["themes"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "programme_evaluations",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('baseline', 'mid_term', 'final', 'ex_post', 'thematic', 'other')",
            name=op.f("ck_programme_evaluations_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_evaluations_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_evaluations")),
    )
    op.create_index(
        op.f("ix_programme_evaluations_programme_id_date"),
        "programme_evaluations",
        ["programme_id", "date"],
        unique=False,
    )
    op.create_table(
        "programme_indicators",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("baseline", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("target", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "frequency IN ('monthly', 'quarterly', 'semiannual', 'annual', 'biennial', 'once')",
            name=op.f("ck_programme_indicators_frequency"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_indicators_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_indicators")),
    )
    op.create_index(
        op.f("ix_programme_indicators_programme_id_created_at"),
        "programme_indicators",
        ["programme_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "programme_milestones",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_milestones_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_milestones")),
    )
    op.create_index(
        op.f("ix_programme_milestones_programme_id_due_date"),
        "programme_milestones",
        ["programme_id", "due_date"],
        unique=False,
    )
    op.create_table(
        "programme_partners",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("partner_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_code"],
            ["partners.code"],
            name=op.f("fk_programme_partners_partner_code_partners"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_partners_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("programme_id", "partner_code", name=op.f("pk_programme_partners")),
    )
    op.create_index(
        op.f("ix_programme_partners_partner_code_programme_id"),
        "programme_partners",
        ["partner_code", "programme_id"],
        unique=False,
    )
    op.create_table(
        "programme_recommendations",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_recommendations_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_programme_recommendations_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "programme_id", "recommendation_id", name=op.f("pk_programme_recommendations")
        ),
    )
    op.create_index(
        op.f("ix_programme_recommendations_recommendation_id_programme_id"),
        "programme_recommendations",
        ["recommendation_id", "programme_id"],
        unique=False,
    )
    op.create_table(
        "indicator_measurements",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["programme_indicators.id"],
            name=op.f("fk_indicator_measurements_indicator_id_programme_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_measurements")),
    )
    op.create_index(
        op.f("ix_indicator_measurements_indicator_id_measured_on_id"),
        "indicator_measurements",
        ["indicator_id", "measured_on", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.drop_index(
        op.f("ix_indicator_measurements_indicator_id_measured_on_id"),
        table_name="indicator_measurements",
    )
    op.drop_table("indicator_measurements")
    op.drop_index(
        op.f("ix_programme_recommendations_recommendation_id_programme_id"),
        table_name="programme_recommendations",
    )
    op.drop_table("programme_recommendations")
    op.drop_index(
        op.f("ix_programme_partners_partner_code_programme_id"), table_name="programme_partners"
    )
    op.drop_table("programme_partners")
    op.drop_index(
        op.f("ix_programme_milestones_programme_id_due_date"), table_name="programme_milestones"
    )
    op.drop_table("programme_milestones")
    op.drop_index(
        op.f("ix_programme_indicators_programme_id_created_at"), table_name="programme_indicators"
    )
    op.drop_table("programme_indicators")
    op.drop_index(
        op.f("ix_programme_evaluations_programme_id_date"), table_name="programme_evaluations"
    )
    op.drop_table("programme_evaluations")
    op.drop_index("ix_programmes_themes", table_name="programmes", postgresql_using="gin")
    op.drop_index("ix_programmes_search", table_name="programmes", postgresql_using="gin")
    op.drop_index("ix_programmes_sdg_targets", table_name="programmes", postgresql_using="gin")
    op.drop_index("ix_programmes_sdg_goals", table_name="programmes", postgresql_using="gin")
    op.drop_index("ix_programmes_order", table_name="programmes")
    op.drop_index("ix_programmes_mandate_id", table_name="programmes")
    op.drop_index("ix_programmes_end_date", table_name="programmes")
    op.drop_index("ix_programmes_countries", table_name="programmes", postgresql_using="gin")
    op.drop_table("programmes")
    op.drop_index(op.f("ix_mandate_renewals_mandate_id_id"), table_name="mandate_renewals")
    op.drop_table("mandate_renewals")
    op.drop_index("ix_mandates_type", table_name="mandates")
    op.drop_index("ix_mandates_search", table_name="mandates", postgresql_using="gin")
    op.drop_index("ix_mandates_order", table_name="mandates")
    op.drop_index("ix_mandates_end_date", table_name="mandates")
    op.drop_index("ix_mandates_countries", table_name="mandates", postgresql_using="gin")
    op.drop_table("mandates")
    op.drop_table("partners")
