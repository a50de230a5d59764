"""Input and output shapes of mandates (the field names are a public contract)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MandateType = Literal[
    "country_office",
    "regional_office",
    "human_rights_adviser",
    "peace_mission_component",
    "other",
]
LegalBasisKind = Literal[
    "host_country_agreement", "hrc_resolution", "sc_resolution", "ga_resolution", "other"
]
MandateStatus = Literal["planned", "active", "expiring", "expired"]
Currency = Field(default="USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


class LegalBasis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: LegalBasisKind
    reference: str = Field(
        min_length=1,
        max_length=200,
        description="the agreement, or the resolution symbol (A/HRC/RES/52/2, S/RES/2720)",
    )


class Funding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: decimal.Decimal | None = Field(default=None, max_digits=16, decimal_places=2)
    secured: decimal.Decimal | None = Field(default=None, max_digits=16, decimal_places=2)
    currency: str = Currency
    sources: list[str] = Field(default_factory=list, max_length=50)


class FundingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: decimal.Decimal | None = Field(default=None, max_digits=16, decimal_places=2)
    secured: decimal.Decimal | None = Field(default=None, max_digits=16, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    sources: list[str] | None = Field(default=None, max_length=50)


class MandateIn(BaseModel):
    """A field presence: a `country`, or a `region` label with the `countries` it covers."""

    model_config = ConfigDict(extra="forbid")

    type: MandateType
    title: str = Field(min_length=1, max_length=300)
    country: str | None = Field(default=None, description="ISO3, for a country presence")
    region: str | None = Field(default=None, max_length=200, description="regional label")
    countries: list[str] = Field(
        default_factory=list, max_length=60, description="ISO3 codes a regional one covers"
    )
    legal_basis: LegalBasis
    start_date: dt.date
    end_date: dt.date | None = None
    renewal_due_on: dt.date | None = Field(
        default=None, description="when the renewal must be decided (becomes a deadline)"
    )
    funding: Funding = Field(default_factory=Funding)


class MandatePatch(BaseModel):
    """Fields to change; absent = unchanged, `null` clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    type: MandateType | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    country: str | None = None
    region: str | None = Field(default=None, max_length=200)
    countries: list[str] | None = Field(default=None, max_length=60)
    legal_basis: LegalBasis | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    renewal_due_on: dt.date | None = None
    funding: FundingPatch | None = None


class RenewalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_end: dt.date
    renewed_on: dt.date | None = Field(default=None, description="default: today")
    legal_basis_reference: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)
    next_renewal_due_on: dt.date | None = Field(
        default=None, description="when the next renewal must be decided, if known"
    )


class RenewalOut(BaseModel):
    renewed_on: dt.date
    previous_end: dt.date | None
    new_end: dt.date
    legal_basis_reference: str | None
    note: str | None
    created_at: dt.datetime


class FundingOut(BaseModel):
    required: decimal.Decimal | None
    secured: decimal.Decimal | None
    gap: decimal.Decimal | None = Field(description="required - secured, at least 0")
    currency: str
    sources: list[str]


class MandateOut(BaseModel):
    id: uuid.UUID
    type: MandateType
    title: str
    country: str | None
    region: str | None
    countries: list[str]
    legal_basis: LegalBasis
    start_date: dt.date
    end_date: dt.date | None
    renewal_due_on: dt.date | None
    status: MandateStatus
    funding: FundingOut
    renewals: list[RenewalOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class MandatePage(BaseModel):
    items: list[MandateOut]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PresenceFilter:
    """What lists of presences in countries over a period (mandates, programmes) filter
    by: covered countries, statuses on the day, running on ``active_on``, words."""

    countries: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    active_on: dt.date | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class MandateFilter(PresenceFilter):
    types: tuple[str, ...] = ()
