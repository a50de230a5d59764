"""Input and output shapes of institutions and national mechanisms."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

InstitutionKind = Literal[
    "ministry", "agency", "parliament", "judiciary", "nhri", "civil_society", "other"
]

# What the audit log keeps instead of focal points: never the personal data in clear.
REDACTED = "[redacted: personal data]"


class Input(BaseModel):
    """A request body: no unknown fields, and no NUL characters (PostgreSQL text cannot
    store them, so they are a 422 here rather than a database error)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        _check_nul(data)
        return data


def _check_nul(value: Any) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    if isinstance(value, dict):
        for v in value.values():
            _check_nul(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _check_nul(v)


class InstitutionIn(Input):
    country: str = Field(min_length=3, max_length=3, description="ISO 3166-1 alpha-3")
    name: str = Field(min_length=1, max_length=300)
    kind: InstitutionKind = "other"
    acronym: str | None = Field(default=None, max_length=50)


class InstitutionPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    kind: InstitutionKind | None = None
    acronym: str | None = Field(default=None, max_length=50)


class InstitutionOut(BaseModel):
    id: uuid.UUID
    country: str
    name: str
    kind: InstitutionKind
    acronym: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class InstitutionRef(BaseModel):
    id: uuid.UUID
    name: str
    kind: InstitutionKind


class InstitutionPage(BaseModel):
    items: list[InstitutionOut]
    next_cursor: str | None


class ImportReport(BaseModel):
    """What an all-or-nothing CSV import did."""

    rows: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class InstitutionFilter:
    countries: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    q: str | None = None


class OwnersIn(Input):
    """The owner institutions of a recommendation (replaces the current set)."""

    institution_ids: list[uuid.UUID] = Field(max_length=100)


# --- national mechanisms -------------------------------------------------------------------


class CalendarEntry(Input):
    label: str = Field(min_length=1, max_length=300)
    due_date: dt.date
    notes: str | None = Field(default=None, max_length=2000)


class FocalPointIn(Input):
    name: str = Field(min_length=1, max_length=300)
    role: str | None = Field(default=None, max_length=300)
    contact: str | None = Field(default=None, max_length=1000)
    institution_id: uuid.UUID | None = None


class FocalPointOut(BaseModel):
    name: str
    role: str | None
    contact: str | None
    institution_id: uuid.UUID | None


class NationalMechanismIn(Input):
    country: str = Field(min_length=3, max_length=3)
    name: str = Field(min_length=1, max_length=300)
    legal_basis: str | None = Field(default=None, max_length=5000)
    established_on: dt.date | None = None
    member_institution_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    focal_points: list[FocalPointIn] = Field(default_factory=list, max_length=100)
    reporting_calendar: list[CalendarEntry] = Field(default_factory=list, max_length=200)


class NationalMechanismPatch(Input):
    """Absent fields stay; lists given replace the current ones."""

    name: str | None = Field(default=None, min_length=1, max_length=300)
    legal_basis: str | None = Field(default=None, max_length=5000)
    established_on: dt.date | None = None
    member_institution_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
    focal_points: list[FocalPointIn] | None = Field(default=None, max_length=100)
    reporting_calendar: list[CalendarEntry] | None = Field(default=None, max_length=200)


class NationalMechanismOut(BaseModel):
    id: uuid.UUID
    country: str
    name: str
    legal_basis: str | None
    established_on: dt.date | None
    members: list[InstitutionRef]
    reporting_calendar: list[CalendarEntry]
    focal_points: list[FocalPointOut] | None = Field(
        description="personal data: null unless the API key has personal_data:read (or"
        " admin) and may write this country's data"
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class NationalMechanismPage(BaseModel):
    items: list[NationalMechanismOut]
    next_cursor: str | None
