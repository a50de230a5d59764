"""Input and output of independent assessments."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from shared.recommendations.schemas import Status

AssessmentSource = Literal["nhri", "civil_society", "un"]
StatsSource = Literal["government", "nhri", "civil_society", "un"]


class AssessmentIn(BaseModel):
    """An assessment of a recommendation. `organisation_id`: the organisation assessing,
    when the caller acts for several. `source` and `organisation` only for admins (e.g. a
    UN assessment); others take them from their membership."""

    model_config = ConfigDict(extra="forbid")

    recommendation_id: uuid.UUID
    status: Status
    narrative: str = Field(min_length=1, max_length=20_000)
    evidence_links: list[AnyHttpUrl] = Field(default_factory=list, max_length=50)
    assessed_on: dt.date | None = None
    organisation_id: uuid.UUID | None = None
    source: AssessmentSource | None = None
    organisation: str | None = Field(default=None, min_length=1, max_length=300)


class AssessmentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    narrative: str | None = Field(default=None, min_length=1, max_length=20_000)
    evidence_links: list[AnyHttpUrl] | None = Field(default=None, max_length=50)
    assessed_on: dt.date | None = None


class AssessmentOut(BaseModel):
    id: uuid.UUID
    recommendation_id: uuid.UUID
    country: str
    source: AssessmentSource
    organisation_id: uuid.UUID | None
    organisation: str
    status: Status
    narrative: str
    evidence_links: list[str]
    assessed_on: dt.date
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AssessmentPage(BaseModel):
    items: list[AssessmentOut]
    next_cursor: str | None


class SourceCounts(BaseModel):
    """Recommendations by status in one source's view: the government's is the
    recommendation's own status; an independent source's is its latest assessment (of
    any of its organisations) of each recommendation it assessed."""

    source: StatsSource
    assessed: int
    by_status: dict[str, int]


class AssessmentStats(BaseModel):
    country: str | None
    cycle: int | None
    sources: list[SourceCounts]
