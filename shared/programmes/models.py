"""Technical-cooperation programmes, their partners, links to recommendations,
indicators with measurements, milestones and evaluations."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import get_args

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import (
    Base,
    CreatedAt,
    HistoryEntry,
    Timestamps,
    UUIDPrimaryKey,
    one_of,
    search_vector,
)
from shared.programmes.schemas import EvaluationKind, Frequency, TargetGroup


class Partner(Base):
    """An organisation programmes work with (reference table, seeded by the migration)."""

    __tablename__ = "partners"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Programme(UUIDPrimaryKey, Timestamps, Base):
    """A technical-cooperation programme in one country, or in a region covering
    ``countries`` (always filled, ``[country]`` for a country programme)."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("(country IS NULL) <> (region IS NULL)", name="country_xor_region"),
        CheckConstraint("end_date >= start_date", name="period"),
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget"),
        CheckConstraint(
            f"target_groups <@ ARRAY[{', '.join(map(repr, get_args(TargetGroup)))}]::varchar[]",
            name="target_groups",
        ),
        Index("ix_programmes_countries", "countries", postgresql_using="gin"),
        Index("ix_programmes_order", "start_date", "id"),
        Index("ix_programmes_end_date", "end_date"),
        Index("ix_programmes_mandate_id", "mandate_id"),
        Index("ix_programmes_themes", "themes", postgresql_using="gin"),
        Index("ix_programmes_sdg_targets", "sdg_targets", postgresql_using="gin"),
        Index("ix_programmes_sdg_goals", "sdg_goals", postgresql_using="gin"),
        Index("ix_programmes_search", "search", postgresql_using="gin"),
    )

    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str | None] = mapped_column(ForeignKey("countries.iso3"))
    region: Mapped[str | None] = mapped_column(String(200))
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(3)))
    mandate_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("mandates.id", ondelete="RESTRICT")
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    budget: Mapped[decimal.Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    objectives: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    themes: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    sdg_targets: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list)
    sdg_goals: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list)
    version: Mapped[int] = mapped_column(default=1)
    search: Mapped[str] = search_vector("title || ' ' || summary")


class ProgrammePartner(Base):
    __tablename__ = "programme_partners"
    # The primary key serves "partners of a programme"; this index "programmes of a partner".
    __table_args__ = (Index(None, "partner_code", "programme_id"),)

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    partner_code: Mapped[str] = mapped_column(ForeignKey("partners.code"), primary_key=True)


class ProgrammeRecommendation(CreatedAt, Base):
    """A programme supports the implementation of a recommendation (with a note why)."""

    __tablename__ = "programme_recommendations"
    __table_args__ = (Index(None, "recommendation_id", "programme_id"),)

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True
    )
    note: Mapped[str | None] = mapped_column(Text)


class ProgrammePart(UUIDPrimaryKey, CreatedAt):
    """A part of one programme (indicator, milestone, evaluation), deleted with it."""

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))


class Indicator(ProgrammePart, Base):
    """A performance indicator of a programme: baseline, target, unit, frequency."""

    __tablename__ = "programme_indicators"
    __table_args__ = (
        one_of("frequency", Frequency),
        Index(None, "programme_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(50))
    baseline: Mapped[decimal.Decimal | None] = mapped_column(Numeric(18, 4))
    target: Mapped[decimal.Decimal | None] = mapped_column(Numeric(18, 4))
    frequency: Mapped[str] = mapped_column(String(20))


class Measurement(HistoryEntry, Base):
    """A dated value of an indicator, inside the programme period."""

    __tablename__ = "indicator_measurements"
    __table_args__ = (Index(None, "indicator_id", "measured_on", "id"),)

    indicator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programme_indicators.id", ondelete="CASCADE")
    )
    measured_on: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 4))
    note: Mapped[str | None] = mapped_column(Text)


class Milestone(ProgrammePart, Base):
    __tablename__ = "programme_milestones"
    __table_args__ = (Index(None, "programme_id", "due_date"),)

    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[dt.date] = mapped_column(Date)
    achieved_on: Mapped[dt.date | None] = mapped_column(Date)


class Evaluation(ProgrammePart, Base):
    """An evaluation, planned (no findings yet) or done."""

    __tablename__ = "programme_evaluations"
    __table_args__ = (
        one_of("kind", EvaluationKind),
        Index(None, "programme_id", "date"),
    )

    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    findings: Mapped[str | None] = mapped_column(Text)
