"""Follow-up deadlines: derived from documents, mandates and programmes, or entered by hand."""

from __future__ import annotations

import datetime as dt
from typing import get_args

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey, sql_in
from shared.deadlines.schemas import DeadlineKind, DeadlineStatus, SubjectType

# The values are declared once, as the API's Literal types; the constraints check the same.
DEADLINE_KINDS: tuple[str, ...] = get_args(DeadlineKind)
SUBJECT_TYPES: tuple[str, ...] = get_args(SubjectType)
DEADLINE_STATUSES: tuple[str, ...] = get_args(DeadlineStatus)
ORIGINS = ("derived", "manual")


class Deadline(UUIDPrimaryKey, Timestamps, Base):
    """A dated follow-up obligation about one subject (recommendation, document, ...).

    Derived rows carry the ``rule`` that made them and are upserted by (rule, subject),
    so recomputation is idempotent; manual rows have no rule and derivation never
    touches them.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        CheckConstraint(sql_in("kind", DEADLINE_KINDS), name="kind"),
        CheckConstraint(sql_in("subject_type", SUBJECT_TYPES), name="subject_type"),
        CheckConstraint(sql_in("status", DEADLINE_STATUSES), name="status"),
        CheckConstraint(sql_in("origin", ORIGINS), name="origin"),
        CheckConstraint("(origin = 'derived') = (rule IS NOT NULL)", name="rule_iff_derived"),
        Index("uq_deadlines_rule_subject", "rule", "subject_type", "subject_id", unique=True),
        Index("ix_deadlines_due", "due_date", "id"),
        Index("ix_deadlines_country_due", "country", "due_date", "id"),
        Index("ix_deadlines_subject", "subject_type", "subject_id"),
        Index("ix_deadlines_updated", "updated_at"),
        # The reminder scan reads deadlines by due date among those not yet met.
        Index(
            "ix_deadlines_scan",
            "due_date",
            "country",
            "kind",
            postgresql_where=text("status <> 'met'"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[dt.date] = mapped_column(Date)
    subject_type: Mapped[str] = mapped_column(String(20))
    # A UUID for documents, recommendations, mandates and programmes; ISO3 for countries.
    subject_id: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(ForeignKey("countries.iso3"))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    origin: Mapped[str] = mapped_column(String(10), default="manual")
    rule: Mapped[str | None] = mapped_column(String(60))
    met_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
