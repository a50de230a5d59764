"""Input and output shapes of action plans, actions, updates and accountability figures."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from shared.institutions.schemas import Input, InstitutionRef

PlanStatus = Literal["draft", "adopted", "ended"]
ActionStatus = Literal["planned", "ongoing", "completed", "delayed", "cancelled"]


class PlanIn(Input):
    country: str = Field(min_length=3, max_length=3, description="ISO 3166-1 alpha-3")
    title: str = Field(min_length=1, max_length=500)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    status: PlanStatus = "draft"
    adoption_reference: str | None = Field(
        default=None, max_length=2000, description="decree, resolution or act that adopted it"
    )


class PlanPatch(Input):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    status: PlanStatus | None = None
    adoption_reference: str | None = Field(default=None, max_length=2000)


class PlanOut(BaseModel):
    id: uuid.UUID
    country: str
    title: str
    period_start: dt.date | None
    period_end: dt.date | None
    status: PlanStatus
    adoption_reference: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PlanPage(BaseModel):
    items: list[PlanOut]
    next_cursor: str | None


class ActionIn(Input):
    description: str = Field(min_length=1, max_length=20_000)
    institution_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    recommendation_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    indicators: list[str] = Field(default_factory=list, max_length=100)
    budget: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217")
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    status: ActionStatus = "planned"


class ActionPatch(Input):
    """Absent fields stay; lists given replace the current ones. The status changes by
    posting an update (so every change of state is in the history)."""

    description: str | None = Field(default=None, min_length=1, max_length=20_000)
    institution_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)
    recommendation_ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)
    indicators: list[str] | None = Field(default=None, max_length=100)
    budget: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    start_date: dt.date | None = None
    due_date: dt.date | None = None


class RecommendationRef(BaseModel):
    id: uuid.UUID
    ref: str


class ActionOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    country: str
    description: str
    institutions: list[InstitutionRef]
    recommendations: list[RecommendationRef]
    indicators: list[str]
    budget: Decimal | None
    currency: str | None
    start_date: dt.date | None
    due_date: dt.date | None
    status: ActionStatus
    overdue: bool = Field(description="due date passed, neither completed nor cancelled")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ActionPage(BaseModel):
    items: list[ActionOut]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ActionFilter:
    plan_id: uuid.UUID | None = None
    recommendation_id: uuid.UUID | None = None
    statuses: tuple[str, ...] = ()
    institution_id: uuid.UUID | None = None
    overdue: bool | None = None


class ActionUpdateIn(Input):
    status: ActionStatus
    narrative: str = Field(min_length=1, max_length=20_000)
    author: str | None = Field(default=None, max_length=300)
    reported_on: dt.date | None = None


class ActionUpdateOut(BaseModel):
    id: uuid.UUID
    action_id: uuid.UUID
    status: ActionStatus
    narrative: str
    author: str | None
    reported_on: dt.date
    created_at: dt.datetime


class ActionImportReport(BaseModel):
    rows: int
    created: int
    action_ids: list[uuid.UUID]


class Share(BaseModel):
    count: int
    share: float | None = Field(description="count / supported, null when nothing is supported")


class AccountabilityGroup(BaseModel):
    value: str
    supported: int
    with_owner: Share
    with_planned_action: Share
    with_ongoing_or_completed_action: Share
    overdue_actions: int


class Accountability(BaseModel):
    country: str
    supported: int = Field(description="supported recommendations of the State")
    with_owner: Share
    with_planned_action: Share
    with_ongoing_or_completed_action: Share
    overdue_actions: int
    by_theme: list[AccountabilityGroup]
    by_sdg_goal: list[AccountabilityGroup]
