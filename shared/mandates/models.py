"""OHCHR field presences (mandates) and their renewal history."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, HistoryEntry, Timestamps, UUIDPrimaryKey, one_of, search_vector
from shared.mandates.schemas import LegalBasisKind, MandateType


class Mandate(UUIDPrimaryKey, Timestamps, Base):
    """A field presence in one country, or in a region covering ``countries``.

    ``countries`` always lists the covered States (``[country]`` for a country presence),
    so "the mandates of PRY" is one GIN-indexed overlap whatever the kind of presence.
    """

    __tablename__ = "mandates"
    __table_args__ = (
        one_of("type", MandateType),
        one_of("legal_basis_kind", LegalBasisKind),
        CheckConstraint("(country IS NULL) <> (region IS NULL)", name="country_xor_region"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="period"),
        CheckConstraint("funding_secured IS NULL OR funding_secured >= 0", name="secured"),
        CheckConstraint("funding_required IS NULL OR funding_required >= 0", name="required"),
        Index("ix_mandates_countries", "countries", postgresql_using="gin"),
        Index("ix_mandates_order", "start_date", "id"),
        # status and active_on compare the dates with a day: both ends are indexed.
        Index("ix_mandates_end_date", "end_date"),
        Index("ix_mandates_type", "type"),
        Index("ix_mandates_search", "search", postgresql_using="gin"),
    )

    type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(ForeignKey("countries.iso3"))
    region: Mapped[str | None] = mapped_column(String(200))
    countries: Mapped[list[str]] = mapped_column(ARRAY(String(3)))
    legal_basis_kind: Mapped[str] = mapped_column(String(30))
    legal_basis_reference: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    renewal_due_on: Mapped[dt.date | None] = mapped_column(Date)
    funding_required: Mapped[decimal.Decimal | None] = mapped_column(Numeric(16, 2))
    funding_secured: Mapped[decimal.Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    funding_sources: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    version: Mapped[int] = mapped_column(default=1)
    search: Mapped[str] = search_vector(
        "title || ' ' || legal_basis_reference || ' ' || coalesce(region, '')"
    )


class MandateRenewal(HistoryEntry, Base):
    """One renewal: the end date moved from ``previous_end`` to ``new_end``."""

    __tablename__ = "mandate_renewals"
    __table_args__ = (Index(None, "mandate_id", "id"),)

    mandate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mandates.id", ondelete="CASCADE"))
    renewed_on: Mapped[dt.date] = mapped_column(Date)
    previous_end: Mapped[dt.date | None] = mapped_column(Date)
    new_end: Mapped[dt.date] = mapped_column(Date)
    legal_basis_reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
