"""Institutions of a State and its national mechanism for reporting and follow-up."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, get_args

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey, link_key, sql_in
from shared.institutions.schemas import InstitutionKind

INSTITUTION_KINDS: tuple[str, ...] = get_args(InstitutionKind)


class Institution(UUIDPrimaryKey, Timestamps, Base):
    """A body of a State that may own recommendations and actions."""

    __tablename__ = "institutions"
    __table_args__ = (
        CheckConstraint(sql_in("kind", INSTITUTION_KINDS), name="kind"),
        # Also the list order (country, name, id) and the CSV import's upsert key.
        UniqueConstraint("country", "name"),
        Index("ix_institutions_kind", "kind", "country"),
    )

    country: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30), default="other")
    acronym: Mapped[str | None] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer, default=1)


class RecommendationInstitution(Base):
    """An owner institution of a recommendation (``recommendations.institutions`` keeps
    their names, denormalized, so the recommendations contract is unchanged)."""

    __tablename__ = "recommendation_institutions"
    __table_args__ = (Index("ix_recommendation_institutions_institution", "institution_id"),)

    recommendation_id: Mapped[uuid.UUID] = link_key("recommendations.id", ondelete="CASCADE")
    institution_id: Mapped[uuid.UUID] = link_key("institutions.id", ondelete="RESTRICT")


class NationalMechanism(UUIDPrimaryKey, Timestamps, Base):
    """The national mechanism for reporting and follow-up: one per State."""

    __tablename__ = "national_mechanisms"

    country: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    established_on: Mapped[dt.date | None] = mapped_column(Date)
    # [{"label": ..., "due_date": "YYYY-MM-DD", "notes": ...}], in date order.
    reporting_calendar: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)


class NationalMechanismMember(Base):
    __tablename__ = "national_mechanism_members"
    __table_args__ = (Index("ix_national_mechanism_members_institution", "institution_id"),)

    mechanism_id: Mapped[uuid.UUID] = link_key("national_mechanisms.id", ondelete="CASCADE")
    institution_id: Mapped[uuid.UUID] = link_key("institutions.id", ondelete="RESTRICT")


class FocalPoint(UUIDPrimaryKey, Base):
    """A person who answers for the mechanism. Personal data: kept apart from the
    mechanism so that no public query or export can select it by accident."""

    __tablename__ = "focal_points"
    __table_args__ = (Index("ix_focal_points_mechanism", "mechanism_id", "ordinal"),)

    mechanism_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("national_mechanisms.id", ondelete="CASCADE")
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(300))
    contact: Mapped[str | None] = mapped_column(Text)
    institution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
