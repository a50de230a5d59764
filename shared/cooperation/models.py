"""Offers of technical cooperation (South-South and from organisations)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey


class CooperationOffer(UUIDPrimaryKey, Timestamps, Base):
    """Who offers (a State or an organisation), on which themes and SDG targets, where and
    when. Empty ``countries`` and ``recommendation_ids`` mean: any."""

    __tablename__ = "cooperation_offers"
    __table_args__ = (
        CheckConstraint(
            "(offered_by_state IS NULL) <> (offered_by_organisation IS NULL)", name="offered_by"
        ),
        CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name="period",
        ),
        Index("ix_cooperation_offers_order", "created_at", "id"),
        Index("ix_cooperation_offers_state", "offered_by_state"),
        Index("ix_cooperation_offers_themes", "themes", postgresql_using="gin"),
        Index("ix_cooperation_offers_sdg_targets", "sdg_targets", postgresql_using="gin"),
        Index("ix_cooperation_offers_sdg_goals", "sdg_goals", postgresql_using="gin"),
        Index("ix_cooperation_offers_countries", "countries", postgresql_using="gin"),
    )

    offered_by_state: Mapped[str | None] = mapped_column(ForeignKey("countries.iso3"))
    offered_by_organisation: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    themes: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    sdg_targets: Mapped[list[str]] = mapped_column(ARRAY(String(10)), default=list)
    # Goals named on their own ("16") plus the goals of the targets.
    sdg_goals: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list)
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(3)), default=list)
    recommendation_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    # A way to reach the offering side; it may name a person, so only keys with
    # personal_data:read (or admin) see it.
    contact: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
