"""Input and output shapes of programmes and their parts (a public contract)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.mandates.schemas import PresenceFilter

TargetGroup = Literal[
    "police_academies",
    "military_academies",
    "justice_sector",
    "prison_administration",
    "national_mechanisms",
    "nhris",
    "parliament",
    "government",
    "civil_society",
    "media",
    "other",
]
Frequency = Literal["monthly", "quarterly", "semiannual", "annual", "biennial", "once"]
EvaluationKind = Literal["baseline", "mid_term", "final", "ex_post", "thematic", "other"]
ProgrammeStatus = Literal["planned", "active", "completed"]
Money = Field(default=None, max_digits=16, decimal_places=2)


class ProgrammeIn(BaseModel):
    """A programme in a `country`, or a `region` with the `countries` it covers."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(default="", max_length=20_000)
    country: str | None = Field(default=None, description="ISO3, for a country programme")
    region: str | None = Field(default=None, max_length=200)
    countries: list[str] = Field(default_factory=list, max_length=60)
    mandate_id: uuid.UUID | None = None
    start_date: dt.date
    end_date: dt.date
    budget: decimal.Decimal | None = Money
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    partners: list[str] = Field(
        default_factory=list, max_length=50, description="partner codes or names (/v1/partners)"
    )
    objectives: list[str] = Field(default_factory=list, max_length=50)
    target_groups: list[TargetGroup] = Field(default_factory=list, max_length=20)
    themes: list[str] = Field(default_factory=list, max_length=100)
    sdg_targets: list[str] = Field(default_factory=list, max_length=169)


class ProgrammePatch(BaseModel):
    """Fields to change; absent = unchanged, `null` clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    summary: str | None = Field(default=None, max_length=20_000)
    country: str | None = None
    region: str | None = Field(default=None, max_length=200)
    countries: list[str] | None = Field(default=None, max_length=60)
    mandate_id: uuid.UUID | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget: decimal.Decimal | None = Money
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    partners: list[str] | None = Field(default=None, max_length=50)
    objectives: list[str] | None = Field(default=None, max_length=50)
    target_groups: list[TargetGroup] | None = Field(default=None, max_length=20)
    themes: list[str] | None = Field(default=None, max_length=100)
    sdg_targets: list[str] | None = Field(default=None, max_length=169)


class PartnerOut(BaseModel):
    code: str
    name: str


class ProgrammeOut(BaseModel):
    id: uuid.UUID
    title: str
    summary: str
    country: str | None
    region: str | None
    countries: list[str]
    mandate_id: uuid.UUID | None
    start_date: dt.date
    end_date: dt.date
    status: ProgrammeStatus
    budget: decimal.Decimal | None
    currency: str
    partners: list[PartnerOut]
    objectives: list[str]
    target_groups: list[TargetGroup]
    themes: list[str]
    sdg_targets: list[str]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ProgrammePage(BaseModel):
    items: list[ProgrammeOut]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ProgrammeFilter(PresenceFilter):
    partners: tuple[str, ...] = ()
    mandates: tuple[uuid.UUID, ...] = ()
    themes: tuple[str, ...] = ()
    sdg_goals: tuple[int, ...] = ()
    sdg_targets: tuple[str, ...] = ()


# --- links ------------------------------------------------------------------------------


class LinkIn(BaseModel):
    """The recommendation by `recommendation_id` or by `ref` (`A/HRC/43/15#122.3`)."""

    model_config = ConfigDict(extra="forbid")

    recommendation_id: uuid.UUID | None = None
    ref: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=5000)


class LinkedRecommendation(BaseModel):
    recommendation_id: uuid.UUID
    ref: str
    state_under_review: str
    position: str
    status: str
    text: str
    note: str | None
    linked_at: dt.datetime


class LinkedRecommendationPage(BaseModel):
    items: list[LinkedRecommendation]
    next_cursor: str | None


class LinkedProgramme(BaseModel):
    programme_id: uuid.UUID
    title: str
    country: str | None
    region: str | None
    start_date: dt.date
    end_date: dt.date
    status: ProgrammeStatus
    note: str | None
    linked_at: dt.datetime


class LinkedProgrammePage(BaseModel):
    items: list[LinkedProgramme]
    next_cursor: str | None


# --- indicators ---------------------------------------------------------------------------


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    unit: str = Field(min_length=1, max_length=50, description="%, people trained, laws, ...")
    baseline: decimal.Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    target: decimal.Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    frequency: Frequency


class MeasurementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measured_on: dt.date
    value: decimal.Decimal = Field(max_digits=18, decimal_places=4)
    note: str | None = Field(default=None, max_length=5000)


class MeasurementOut(BaseModel):
    id: int
    indicator_id: uuid.UUID
    measured_on: dt.date
    value: decimal.Decimal
    note: str | None
    created_at: dt.datetime


class MeasurementPage(BaseModel):
    items: list[MeasurementOut]
    next_cursor: str | None


class IndicatorOut(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    name: str
    unit: str
    baseline: decimal.Decimal | None
    target: decimal.Decimal | None
    frequency: Frequency
    latest: MeasurementOut | None = Field(description="the most recent measurement")
    created_at: dt.datetime


# --- milestones and evaluations ----------------------------------------------------------


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    due_date: dt.date
    achieved_on: dt.date | None = None


class MilestonePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    due_date: dt.date | None = None
    achieved_on: dt.date | None = None


class MilestoneOut(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    title: str
    due_date: dt.date
    achieved_on: dt.date | None
    created_at: dt.datetime


class EvaluationIn(BaseModel):
    """A planned evaluation has no `findings` yet; its date becomes a deadline."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    kind: EvaluationKind
    findings: str | None = Field(default=None, max_length=50_000)


class EvaluationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date | None = None
    kind: EvaluationKind | None = None
    findings: str | None = Field(default=None, max_length=50_000)


class EvaluationOut(BaseModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    date: dt.date
    kind: EvaluationKind
    findings: str | None
    created_at: dt.datetime
