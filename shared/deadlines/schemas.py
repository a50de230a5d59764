"""Deadlines: input and output models."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DeadlineKind = Literal[
    "hrc_response",  # responses to pending UPR recommendations, by an HRC session
    "upr_midterm_report",
    "upr_next_review",
    "treaty_followup",
    "mandate_end",
    "mandate_renewal",
    "programme_milestone",
    "programme_evaluation",
    "other",
]
SubjectType = Literal["recommendation", "document", "programme", "mandate", "country"]
DeadlineStatus = Literal["open", "met", "missed"]


class DeadlineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: DeadlineKind
    due_date: dt.date
    subject_type: SubjectType
    subject_id: str
    country: str | None
    title: str
    description: str | None
    status: DeadlineStatus
    origin: Literal["derived", "manual"] = Field(
        description="derived by a rule (recomputed when its sources change) or entered by hand"
    )
    rule: str | None
    met_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class DeadlineIn(BaseModel):
    """A deadline entered by hand; derivation never changes it."""

    model_config = ConfigDict(extra="forbid")

    kind: DeadlineKind = "other"
    due_date: dt.date
    subject_type: SubjectType
    subject_id: str = Field(min_length=1, max_length=200)
    country: str | None = Field(default=None, min_length=3, max_length=3)
    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)


class DeadlinePatch(BaseModel):
    """Status of any deadline (`met` by hand); dates and texts of manual deadlines only."""

    model_config = ConfigDict(extra="forbid")

    status: DeadlineStatus | None = None
    due_date: dt.date | None = None
    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)


@dataclass(frozen=True, slots=True)
class DeadlineFilter:
    countries: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    subject_types: tuple[str, ...] = ()
    subject_id: str | None = None
    statuses: tuple[str, ...] = ()
    due_before: dt.date | None = None
    due_after: dt.date | None = None
