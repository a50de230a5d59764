"""OHCHR field presences (mandates) and their renewal history."""

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
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey, sql_in
from shared.mandates.schemas import LegalBasisKind, MandateType

MANDATE_TYPES: tuple[str, ...] = get_args(MandateType)
LEGAL_BASIS_KINDS: tuple[str, ...] = get_args(LegalBasisKind)


class Mandate(UUIDPrimaryKey, Timestamps, Base):
    """A field presence in one country, or in a region covering ``countries``.

    ``countries`` always lists the covered States (``[country]`` for a country presence),
    so "the mandates of PRY" is one GIN-indexed overlap whatever the kind of presence.
    """

    __tablename__ = "mandates"
    __table_args__ = (
        CheckConstraint(sql_in("type", MANDATE_TYPES), name="type"),
        CheckConstraint(sql_in("legal_basis_kind", LEGAL_BASIS_KINDS), name="legal_basis_kind"),
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
    version: Mapped[int] = mapped_column(Integer, default=1)
    search: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('english'::regconfig,"
            " title || ' ' || legal_basis_reference || ' ' || coalesce(region, ''))",
            persisted=True,
        ),
        deferred=True,
    )


class MandateRenewal(Base):
    """One renewal: the end date moved from ``previous_end`` to ``new_end``."""

    __tablename__ = "mandate_renewals"
    __table_args__ = (Index(None, "mandate_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    mandate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mandates.id", ondelete="CASCADE"))
    renewed_on: Mapped[dt.date] = mapped_column(Date)
    previous_end: Mapped[dt.date | None] = mapped_column(Date)
    new_end: Mapped[dt.date] = mapped_column(Date)
    legal_basis_reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())
