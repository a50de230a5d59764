"""recommendations, countries, mechanisms, documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 00:03:19.931393
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.countries.reference_sync import sync_reference_data

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Fail fast instead of queueing behind long transactions on a live database.
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.create_table(
        "countries",
        sa.Column("iso3", sa.String(length=3), nullable=False),
        sa.Column("iso2", sa.String(length=2), nullable=False),
        sa.Column("m49", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("formal_name", sa.String(length=300), nullable=False),
        sa.Column("un_status", sa.String(length=40), nullable=False),
        sa.Column("regional_group", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("iso3", name=op.f("pk_countries")),
        sa.UniqueConstraint("iso2", name=op.f("uq_countries_iso2")),
    )
    op.create_table(
        "document_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document_files")),
    )
    op.create_table(
        "mechanisms",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_mechanisms")),
    )
    op.create_table(
        "documents",
        sa.Column("symbol", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("state_under_review", sa.String(length=3), nullable=True),
        sa.Column("state_name", sa.String(length=200), nullable=True),
        sa.Column("mechanism", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=True),
        sa.Column("session", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("report_symbol", sa.String(length=100), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("provenance", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
            ["mechanism"], ["mechanisms.code"], name=op.f("fk_documents_mechanism_mechanisms")
        ),
        sa.ForeignKeyConstraint(
            ["state_under_review"],
            ["countries.iso3"],
            name=op.f("fk_documents_state_under_review_countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_documents_sha256")),
        sa.UniqueConstraint("symbol", name=op.f("uq_documents_symbol")),
    )
    op.create_index(op.f("ix_documents_kind"), "documents", ["kind"], unique=False)
    op.create_index(op.f("ix_documents_mechanism"), "documents", ["mechanism"], unique=False)
    op.create_index(
        op.f("ix_documents_state_under_review_date"),
        "documents",
        ["state_under_review", "date"],
        unique=False,
    )
    op.create_table(
        "recommendations",
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("document_symbol", sa.String(length=100), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("paragraph", sa.String(length=50), nullable=False),
        sa.Column("paragraph_key", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("printed_number", sa.String(length=50), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state_under_review", sa.String(length=3), nullable=False),
        sa.Column("mechanism", sa.String(length=20), nullable=False),
        sa.Column("cycle", sa.SmallInteger(), nullable=True),
        sa.Column("session", sa.SmallInteger(), nullable=True),
        sa.Column("position", sa.String(length=30), nullable=False),
        sa.Column("position_raw", sa.Text(), nullable=True),
        sa.Column("position_source", sa.String(length=100), nullable=True),
        sa.Column("themes", postgresql.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("affected_persons", postgresql.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("sdg_targets", postgresql.ARRAY(sa.String(length=10)), nullable=False),
        sa.Column("sdg_goals", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("institutions", postgresql.ARRAY(sa.String(length=300)), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('english'::regconfig, text)", persisted=True),
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
            "kind IN ('recommendation', 'observation')", name=op.f("ck_recommendations_kind")
        ),
        sa.CheckConstraint(
            "position IN ('supported', 'noted', 'partially_supported', 'pending', 'no_position')",
            name=op.f("ck_recommendations_position"),
        ),
        sa.CheckConstraint(
            "status IN ('no_information', 'not_started', 'in_progress', 'partially_implemented', 'implemented')",
            name=op.f("ck_recommendations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_recommendations_document_id_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["mechanism"], ["mechanisms.code"], name=op.f("fk_recommendations_mechanism_mechanisms")
        ),
        sa.ForeignKeyConstraint(
            ["state_under_review"],
            ["countries.iso3"],
            name=op.f("fk_recommendations_state_under_review_countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint("ref", name=op.f("uq_recommendations_ref")),
    )
    op.create_index(
        "ix_recommendations_affected_persons",
        "recommendations",
        ["affected_persons"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_recommendations_cycle", "recommendations", ["cycle", "state_under_review"], unique=False
    )
    op.create_index(
        op.f("ix_recommendations_document_id"), "recommendations", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_recommendations_document_symbol"),
        "recommendations",
        ["document_symbol"],
        unique=False,
    )
    op.create_index(
        "ix_recommendations_institutions",
        "recommendations",
        ["institutions"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_recommendations_mechanism",
        "recommendations",
        ["mechanism", "state_under_review"],
        unique=False,
    )
    op.create_index(
        "ix_recommendations_order",
        "recommendations",
        ["state_under_review", "document_date", "paragraph_key", "id"],
        unique=False,
    )
    op.create_index(
        "ix_recommendations_position",
        "recommendations",
        ["state_under_review", "position"],
        unique=False,
    )
    op.create_index(
        "ix_recommendations_sdg_goals",
        "recommendations",
        ["sdg_goals"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_recommendations_sdg_targets",
        "recommendations",
        ["sdg_targets"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_recommendations_search",
        "recommendations",
        ["search"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_recommendations_session", "recommendations", ["session"], unique=False)
    op.create_index(
        "ix_recommendations_status",
        "recommendations",
        ["state_under_review", "status"],
        unique=False,
    )
    op.create_index(
        "ix_recommendations_themes",
        "recommendations",
        ["themes"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_recommendations_updated", "recommendations", ["updated_at", "id"], unique=False
    )
    op.create_table(
        "implementation_updates",
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("evidence_links", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
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
            "source IN ('government', 'nhri', 'civil_society', 'un')",
            name=op.f("ck_implementation_updates_source"),
        ),
        sa.CheckConstraint(
            "status IN ('no_information', 'not_started', 'in_progress', 'partially_implemented', 'implemented')",
            name=op.f("ck_implementation_updates_status"),
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_implementation_updates_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_implementation_updates_recommendation_id_recommendations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_implementation_updates")),
    )
    op.create_index(
        op.f("ix_implementation_updates_recommendation_id_created_at"),
        "implementation_updates",
        ["recommendation_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "position_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.String(length=30), nullable=False),
        sa.Column("position_raw", sa.Text(), nullable=True),
        sa.Column("source_symbol", sa.String(length=100), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "position IN ('supported', 'noted', 'partially_supported', 'pending', 'no_position')",
            name=op.f("ck_position_changes_position"),
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_position_changes_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_changes")),
    )
    op.create_index(
        op.f("ix_position_changes_recommendation_id_id"),
        "position_changes",
        ["recommendation_id", "id"],
        unique=False,
    )
    op.create_table(
        "recommending_states",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("iso3", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["iso3"], ["countries.iso3"], name=op.f("fk_recommending_states_iso3_countries")
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_recommending_states_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommending_states")),
        sa.UniqueConstraint(
            "recommendation_id",
            "ordinal",
            name=op.f("uq_recommending_states_recommendation_id_ordinal"),
        ),
    )
    op.create_index(
        "ix_recommending_states_iso3",
        "recommending_states",
        ["iso3", "recommendation_id"],
        unique=False,
    )

    sync_reference_data(op.get_bind())
    # Implementation updates are the accountability record: never rewritten or removed.
    op.execute(
        """
        CREATE FUNCTION implementation_updates_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'implementation updates are append-only';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER implementation_updates_append_only"
        " BEFORE UPDATE OR DELETE ON implementation_updates"
        " FOR EACH ROW EXECUTE FUNCTION implementation_updates_append_only()"
    )


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '5s'")
    op.execute("DROP TRIGGER implementation_updates_append_only ON implementation_updates")
    op.execute("DROP FUNCTION implementation_updates_append_only()")
    op.drop_index("ix_recommending_states_iso3", table_name="recommending_states")
    op.drop_table("recommending_states")
    op.drop_index(op.f("ix_position_changes_recommendation_id_id"), table_name="position_changes")
    op.drop_table("position_changes")
    op.drop_index(
        op.f("ix_implementation_updates_recommendation_id_created_at"),
        table_name="implementation_updates",
    )
    op.drop_table("implementation_updates")
    op.drop_index("ix_recommendations_updated", table_name="recommendations")
    op.drop_index("ix_recommendations_themes", table_name="recommendations", postgresql_using="gin")
    op.drop_index("ix_recommendations_status", table_name="recommendations")
    op.drop_index("ix_recommendations_session", table_name="recommendations")
    op.drop_index("ix_recommendations_search", table_name="recommendations", postgresql_using="gin")
    op.drop_index(
        "ix_recommendations_sdg_targets", table_name="recommendations", postgresql_using="gin"
    )
    op.drop_index(
        "ix_recommendations_sdg_goals", table_name="recommendations", postgresql_using="gin"
    )
    op.drop_index("ix_recommendations_position", table_name="recommendations")
    op.drop_index("ix_recommendations_order", table_name="recommendations")
    op.drop_index("ix_recommendations_mechanism", table_name="recommendations")
    op.drop_index(
        "ix_recommendations_institutions", table_name="recommendations", postgresql_using="gin"
    )
    op.drop_index(op.f("ix_recommendations_document_symbol"), table_name="recommendations")
    op.drop_index(op.f("ix_recommendations_document_id"), table_name="recommendations")
    op.drop_index("ix_recommendations_cycle", table_name="recommendations")
    op.drop_index(
        "ix_recommendations_affected_persons", table_name="recommendations", postgresql_using="gin"
    )
    op.drop_table("recommendations")
    op.drop_index(op.f("ix_documents_state_under_review_date"), table_name="documents")
    op.drop_index(op.f("ix_documents_mechanism"), table_name="documents")
    op.drop_index(op.f("ix_documents_kind"), table_name="documents")
    op.drop_table("documents")
    op.drop_table("mechanisms")
    op.drop_table("document_files")
    op.drop_table("countries")
