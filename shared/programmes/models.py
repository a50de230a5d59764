"""Technical-cooperation programmes, their partners, links to recommendations,
indicators with measurements, milestones and evaluations."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import get_args

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey, sql_in
from shared.programmes.schemas import EvaluationKind, Frequency, TargetGroup

# The API's Literals are the one list of allowed values; the CHECK constraints follow them.
TARGET_GROUPS: tuple[str, ...] = get_args(TargetGroup)
FREQUENCIES: tuple[str, ...] = get_args(Frequency)
EVALUATION_KINDS: tuple[str, ...] = get_args(EvaluationKind)


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
            "target_groups <@ ARRAY[" + ", ".join(repr(g) for g in TARGET_GROUPS) + "]::varchar[]",
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
    version: Mapped[int] = mapped_column(Integer, default=1)
    search: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed("to_tsvector('english'::regconfig, title || ' ' || summary)", persisted=True),
        deferred=True,
    )


class ProgrammePartner(Base):
    __tablename__ = "programme_partners"
    # The primary key serves "partners of a programme"; this index "programmes of a partner".
    __table_args__ = (Index(None, "partner_code", "programme_id"),)

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    partner_code: Mapped[str] = mapped_column(ForeignKey("partners.code"), primary_key=True)


class ProgrammeRecommendation(Base):
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
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())


class Indicator(UUIDPrimaryKey, Base):
    """A performance indicator of a programme: baseline, target, unit, frequency."""

    __tablename__ = "programme_indicators"
    __table_args__ = (
        CheckConstraint(sql_in("frequency", FREQUENCIES), name="frequency"),
        Index(None, "programme_id", "created_at"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(50))
    baseline: Mapped[decimal.Decimal | None] = mapped_column(Numeric(18, 4))
    target: Mapped[decimal.Decimal | None] = mapped_column(Numeric(18, 4))
    frequency: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())


class Measurement(Base):
    """A dated value of an indicator, inside the programme period."""

    __tablename__ = "indicator_measurements"
    __table_args__ = (Index(None, "indicator_id", "measured_on", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    indicator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programme_indicators.id", ondelete="CASCADE")
    )
    measured_on: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[decimal.Decimal] = mapped_column(Numeric(18, 4))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())


class Milestone(UUIDPrimaryKey, Base):
    __tablename__ = "programme_milestones"
    __table_args__ = (Index(None, "programme_id", "due_date"),)

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[dt.date] = mapped_column(Date)
    achieved_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())


class Evaluation(UUIDPrimaryKey, Base):
    """An evaluation, planned (no findings yet) or done."""

    __tablename__ = "programme_evaluations"
    __table_args__ = (
        CheckConstraint(sql_in("kind", EVALUATION_KINDS), name="kind"),
        Index(None, "programme_id", "date"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    findings: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())
