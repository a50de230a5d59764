"""Progress reports under review: a focal point's draft, submitted to the State's
coordinators, validated (then published as an implementation update) or returned."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, ClockTimestamps, UUIDPrimaryKey, sql_in

REVIEW_STATES = ("draft", "submitted", "validated", "returned")


class ProgressReport(UUIDPrimaryKey, ClockTimestamps, Base):
    __tablename__ = "progress_reports"
    __table_args__ = (
        CheckConstraint(sql_in("state", REVIEW_STATES), name="state"),
        CheckConstraint("(recommendation_id IS NULL) <> (action_id IS NULL)", name="one_target"),
        # The coordinators' queue, and the reminder sweep: submitted reports by age.
        Index("ix_progress_reports_queue", "country", "state", "submitted_at", "id"),
        Index("ix_progress_reports_institution", "institution_id", "state"),
        Index("ix_progress_reports_recommendation", "recommendation_id"),
        Index("ix_progress_reports_action", "action_id"),
        Index("ix_progress_reports_order", "created_at", "id"),
    )

    recommendation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE")
    )
    action_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("actions.id", ondelete="CASCADE")
    )
    country: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    # The institution reporting (None: drafted by a coordinator or an API key).
    institution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(20), default="draft")
    status: Mapped[str] = mapped_column(String(30))
    narrative: Mapped[str] = mapped_column(Text)
    evidence_links: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(300))
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(300))
    submitted_at: Mapped[dt.datetime | None]
    reviewed_at: Mapped[dt.datetime | None]
    # The implementation (or action) update published on validation.
    published_update_id: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
