"""Input and output of progress reports under review."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

ReviewState = Literal["draft", "submitted", "validated", "returned"]


class ReportIn(BaseModel):
    """A draft on a recommendation or on an action (exactly one). `status`: a
    recommendation status (not_started, in_progress, partially_implemented, implemented,
    no_information) or an action status (planned, ongoing, completed, delayed, cancelled).
    `institution_id`: the institution reporting, when the caller reports for several."""

    model_config = ConfigDict(extra="forbid")

    recommendation_id: uuid.UUID | None = None
    action_id: uuid.UUID | None = None
    status: str = Field(min_length=1, max_length=30)
    narrative: str = Field(min_length=1, max_length=20_000)
    evidence_links: list[AnyHttpUrl] = Field(default_factory=list, max_length=50)
    reported_on: dt.date | None = None
    institution_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ReportIn:
        if (self.recommendation_id is None) == (self.action_id is None):
            raise ValueError("give exactly one of recommendation_id and action_id")
        return self


class ReportPatch(BaseModel):
    """Changes to a draft or a returned report (JSON merge patch: lists replace)."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(default=None, min_length=1, max_length=30)
    narrative: str | None = Field(default=None, min_length=1, max_length=20_000)
    evidence_links: list[AnyHttpUrl] | None = Field(default=None, max_length=50)
    reported_on: dt.date | None = None


class ReviewIn(BaseModel):
    """A reviewer's comment: required to return a report, optional to validate it."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=5_000)


class ReportOut(BaseModel):
    id: uuid.UUID
    recommendation_id: uuid.UUID | None
    action_id: uuid.UUID | None
    country: str
    institution_id: uuid.UUID | None
    state: ReviewState
    status: str
    narrative: str
    evidence_links: list[str]
    reported_on: dt.date
    author: str
    review_comment: str | None
    reviewed_by: str | None
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    published_update_id: uuid.UUID | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ReportPage(BaseModel):
    items: list[ReportOut]
    next_cursor: str | None
