from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey, sql_in

POSITIONS = ("supported", "noted", "partially_supported", "pending", "no_position")
STATUSES = (
    "no_information",
    "not_started",
    "in_progress",
    "partially_implemented",
    "implemented",
)
UPDATE_SOURCES = ("government", "nhri", "civil_society", "un")
KINDS = ("recommendation", "observation")


class Recommendation(UUIDPrimaryKey, Timestamps, Base):
    """A recommendation addressed to a State, identified by ``ref`` = symbol#paragraph."""

    __tablename__ = "recommendations"
    __table_args__ = (
        sa.CheckConstraint(sql_in("position", POSITIONS), name="position"),
        sa.CheckConstraint(sql_in("status", STATUSES), name="status"),
        sa.CheckConstraint(sql_in("kind", KINDS), name="kind"),
        # The default order of lists: State, document date, paragraph in natural order.
        sa.Index(
            "ix_recommendations_order",
            "state_under_review",
            "document_date",
            "paragraph_key",
            "id",
        ),
        # The common filter (State + cycle + position) read in list order: a page stops
        # after its rows instead of sorting every match (BENCHMARKS.md).
        sa.Index(
            "ix_recommendations_filter_order",
            "state_under_review",
            "cycle",
            "position",
            "document_date",
            "paragraph_key",
            "id",
        ),
        sa.Index("ix_recommendations_updated", "updated_at", "id"),
        # "Has anything of this State changed since that snapshot?" (shared/recommendations/
        # freshness.py): a range over the rows written since.
        sa.Index("ix_recommendations_state_sync", "state_under_review", "sync_xid"),
        # Delta sync through sync tokens reads the changes after a snapshot in this order.
        sa.Index("ix_recommendations_sync", "sync_xid", "id"),
        sa.Index("ix_recommendations_themes", "themes", postgresql_using="gin"),
        sa.Index("ix_recommendations_affected_persons", "affected_persons", postgresql_using="gin"),
        sa.Index("ix_recommendations_sdg_targets", "sdg_targets", postgresql_using="gin"),
        sa.Index("ix_recommendations_sdg_goals", "sdg_goals", postgresql_using="gin"),
        sa.Index("ix_recommendations_institutions", "institutions", postgresql_using="gin"),
        sa.Index("ix_recommendations_search", "search", postgresql_using="gin"),
        sa.Index("ix_recommendations_position", "state_under_review", "position"),
        sa.Index("ix_recommendations_status", "state_under_review", "status"),
        sa.Index("ix_recommendations_cycle", "cycle", "state_under_review"),
        sa.Index("ix_recommendations_session", "session"),
        sa.Index("ix_recommendations_mechanism", "mechanism", "state_under_review"),
    )

    ref: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="recommendation")
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="RESTRICT"), index=True
    )
    document_symbol: Mapped[str] = mapped_column(sa.String(100), index=True)
    document_date: Mapped[dt.date] = mapped_column(sa.Date)
    paragraph: Mapped[str] = mapped_column(sa.String(50))
    # Natural order of paragraphs: "115.2" -> {115, 2} sorts before "115.10" -> {115, 10}.
    paragraph_key: Mapped[list[int]] = mapped_column(ARRAY(sa.Integer))
    printed_number: Mapped[str | None] = mapped_column(sa.String(50))
    text: Mapped[str] = mapped_column(sa.Text)
    state_under_review: Mapped[str] = mapped_column(sa.ForeignKey("countries.iso3"))
    mechanism: Mapped[str] = mapped_column(sa.ForeignKey("mechanisms.code"))
    cycle: Mapped[int | None] = mapped_column(sa.SmallInteger)
    session: Mapped[int | None] = mapped_column(sa.SmallInteger)
    position: Mapped[str] = mapped_column(sa.String(30), default="no_position")
    position_raw: Mapped[str | None] = mapped_column(sa.Text)
    position_source: Mapped[str | None] = mapped_column(sa.String(100))
    themes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(200)), default=list)
    affected_persons: Mapped[list[str]] = mapped_column(ARRAY(sa.String(200)), default=list)
    sdg_targets: Mapped[list[str]] = mapped_column(ARRAY(sa.String(10)), default=list)
    sdg_goals: Mapped[list[int]] = mapped_column(ARRAY(sa.SmallInteger), default=list)
    institutions: Mapped[list[str]] = mapped_column(ARRAY(sa.String(300)), default=list)
    status: Mapped[str] = mapped_column(sa.String(30), default="no_information")
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    deleted_at: Mapped[dt.datetime | None]
    # The 64-bit id of the transaction that last wrote the row, stamped by a trigger on
    # every INSERT and UPDATE (migration 0009): the clock of sync tokens (shared/sync.py).
    # Never set it: the trigger overwrites any value.
    sync_xid: Mapped[int] = mapped_column(
        sa.BigInteger, server_default=sa.text("(pg_current_xact_id()::text)::bigint")
    )
    # OHCHR UHRI annotation id, and where each field came from (migration 0007, UHRI import):
    # field -> list of sources, e.g. {"text": ["wg_report:A/HRC/43/15"], "themes":
    # ["wg_report:A/HRC/43/15", "uhri:<import id>"]}.
    uhri_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    provenance: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=sa.text("'{}'::jsonb")
    )
    # The item as the API sends it, rebuilt by triggers on every change of the row, its
    # recommending States or its document (migration 0015). Never set it.
    item: Mapped[Any] = mapped_column(
        sa.JSON, server_default=sa.FetchedValue(), server_onupdate=sa.FetchedValue(), deferred=True
    )
    search: Mapped[str] = mapped_column(
        TSVECTOR,
        sa.Computed("to_tsvector('english'::regconfig, text)", persisted=True),
        deferred=True,
    )


class RecommendingState(Base):
    """A State that made a recommendation, as printed, with its ISO3 code when resolved."""

    __tablename__ = "recommending_states"
    __table_args__ = (
        sa.UniqueConstraint("recommendation_id", "ordinal"),
        sa.Index("ix_recommending_states_iso3", "iso3", "recommendation_id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE")
    )
    ordinal: Mapped[int] = mapped_column(sa.SmallInteger)
    name: Mapped[str] = mapped_column(sa.String(300))
    iso3: Mapped[str | None] = mapped_column(sa.ForeignKey("countries.iso3"))


class ImplementationUpdate(UUIDPrimaryKey, Base):
    """An append-only progress report; the history is the accountability record."""

    __tablename__ = "implementation_updates"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", STATUSES), name="status"),
        sa.CheckConstraint(sql_in("source", UPDATE_SOURCES), name="source"),
        sa.Index(None, "recommendation_id", "created_at"),
    )

    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(sa.String(30))
    narrative: Mapped[str] = mapped_column(sa.Text)
    evidence_links: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    source: Mapped[str] = mapped_column(sa.String(30))
    author: Mapped[str | None] = mapped_column(sa.String(300))
    reported_on: Mapped[dt.date] = mapped_column(sa.Date)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    # clock_timestamp(): updates added in one transaction keep their order.
    created_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.clock_timestamp())


class PositionChange(Base):
    """Every position a recommendation has had, with the document that stated it."""

    __tablename__ = "position_changes"
    __table_args__ = (
        sa.CheckConstraint(sql_in("position", POSITIONS), name="position"),
        sa.Index(None, "recommendation_id", "id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE")
    )
    position: Mapped[str] = mapped_column(sa.String(30))
    position_raw: Mapped[str | None] = mapped_column(sa.Text)
    source_symbol: Mapped[str | None] = mapped_column(sa.String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
