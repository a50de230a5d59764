"""Input and output shapes of offers of cooperation and their matches."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from shared.institutions.schemas import Input


class OfferIn(Input):
    """Exactly one of ``offered_by_state`` (ISO3) and ``offered_by_organisation``."""

    offered_by_state: str | None = Field(default=None, min_length=3, max_length=3)
    offered_by_organisation: str | None = Field(default=None, min_length=1, max_length=300)
    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    themes: list[str] = Field(default_factory=list, max_length=100)
    sdg: list[str] = Field(
        default_factory=list, max_length=169, description="SDG targets (16.3) or goals (16)"
    )
    countries: list[str] = Field(
        default_factory=list, max_length=200, description="ISO3; empty = any State"
    )
    recommendation_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=1000, description="empty = any recommendation"
    )
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    contact: str | None = Field(default=None, max_length=1000)


class OfferPatch(Input):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    themes: list[str] | None = Field(default=None, max_length=100)
    sdg: list[str] | None = Field(default=None, max_length=169)
    countries: list[str] | None = Field(default=None, max_length=200)
    recommendation_ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    contact: str | None = Field(default=None, max_length=1000)


class OfferOut(BaseModel):
    id: uuid.UUID
    offered_by_state: str | None
    offered_by_organisation: str | None
    title: str
    description: str | None
    themes: list[str]
    sdg_targets: list[str]
    sdg_goals: list[int]
    countries: list[str]
    recommendation_ids: list[uuid.UUID]
    period_start: dt.date | None
    period_end: dt.date | None
    active: bool = Field(description="today is within the period")
    contact: str | None = Field(description="null unless the key has personal_data:read (or admin)")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class OfferPage(BaseModel):
    items: list[OfferOut]
    next_cursor: str | None


class MatchedRecommendation(BaseModel):
    id: uuid.UUID
    ref: str
    text: str
    themes: list[str]
    sdg_targets: list[str]
    status: str


class MatchedOffer(BaseModel):
    id: uuid.UUID
    title: str
    offered_by_state: str | None
    offered_by_organisation: str | None


class Match(BaseModel):
    score: int = Field(description="2 per shared SDG target + 1 per shared goal and theme")
    reasons: list[str]
    recommendation: MatchedRecommendation
    offer: MatchedOffer


class MatchPage(BaseModel):
    country: str
    items: list[Match]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class OfferFilter:
    """Which offers a list shows (validated codes); ``active_on`` keeps those running then."""

    offered_by_state: Sequence[str] = ()
    countries: Sequence[str] = ()
    themes: Sequence[str] = ()
    goals: Sequence[int] = ()
    targets: Sequence[str] = ()
    active_on: dt.date | None = None
