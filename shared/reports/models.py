"""Report drafts (Word documents built by the worker) and their files."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, ClockTimestamps, CreatedAt, UUIDPrimaryKey, one_of
from shared.reports.schemas import ClusterSource, Language, ReportKind, ReportStatus


class Report(UUIDPrimaryKey, ClockTimestamps, Base):
    """A request for a report draft and where its generation stands.

    ``requests`` counts the times the job was asked for (creation, retries, recoveries by
    the sweep): it is part of the job id, so each request runs once and a retry is a new
    job. ``attempts`` counts the runs that started.
    """

    __tablename__ = "reports"
    __table_args__ = (
        one_of("kind", ReportKind),
        one_of("status", ReportStatus),
        one_of("language", Language),
        one_of("clusters", ClusterSource),
        CheckConstraint("(status = 'failed') = (error IS NOT NULL)", name="error_iff_failed"),
        # The draft of a State and cycle (reminder links) and the lists by State.
        Index("ix_reports_subject", "country", "kind", "cycle", "created_at"),
        # The sweep reads the reports that should be moving.
        Index(
            "ix_reports_pending",
            "status",
            "updated_at",
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(30))
    country: Mapped[str] = mapped_column(ForeignKey("countries.iso3"))
    cycle: Mapped[int | None] = mapped_column(SmallInteger)
    # The treaty body of a treaty_body_followup report ("CCPR"); "UPR" for mid-term drafts.
    mechanism: Mapped[str] = mapped_column(ForeignKey("mechanisms.code"))
    language: Mapped[str] = mapped_column(String(5))
    clusters: Mapped[str] = mapped_column(String(20), default="themes")
    action_plan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("action_plans.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(10), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    requests: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    recommendations: Mapped[int | None] = mapped_column(Integer)
    file_size: Mapped[int | None] = mapped_column(Integer)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class ReportFile(CreatedAt, Base):
    """The .docx of a ready report, apart so that reading a report's status never loads it."""

    __tablename__ = "report_files"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
