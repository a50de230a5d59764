"""Independent assessments of a recommendation's implementation: by the national human
rights institution, civil society or the UN, beside the government's, never replacing it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import get_args

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.assessments.schemas import AssessmentSource
from shared.db import Base, ClockTimestamps, UUIDPrimaryKey, sql_in
from shared.recommendations.models import STATUSES

ASSESSMENT_SOURCES: tuple[str, ...] = get_args(AssessmentSource)


class Assessment(UUIDPrimaryKey, ClockTimestamps, Base):
    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint(sql_in("source", ASSESSMENT_SOURCES), name="source"),
        CheckConstraint(sql_in("status", STATUSES), name="status"),
        Index("ix_assessments_recommendation", "recommendation_id", "source", "assessed_on"),
        Index("ix_assessments_order", "created_at", "id"),
        Index("ix_assessments_country", "country", "source"),
        Index("ix_assessments_organisation", "organisation_id"),
    )

    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE")
    )
    country: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    source: Mapped[str] = mapped_column(String(20))
    # The NHRI or civil-society organisation (an institution of that kind); None for the UN.
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT")
    )
    organisation: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30))
    narrative: Mapped[str] = mapped_column(Text)
    evidence_links: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
