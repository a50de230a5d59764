"""Input and output shapes of recommendations (the field names are a public contract)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.sync import Snapshot

Position = Literal["supported", "noted", "partially_supported", "pending", "no_position"]
Status = Literal[
    "no_information", "not_started", "in_progress", "partially_implemented", "implemented"
]
UpdateSource = Literal["government", "nhri", "civil_society", "un"]
Kind = Literal["recommendation", "observation"]


class RecommendingStateOut(BaseModel):
    iso3: str | None
    name: str


class DocumentRef(BaseModel):
    symbol: str
    kind: str | None
    date: dt.date | None


class AssessmentBrief(BaseModel):
    """An independent assessment as the recommendation shows it (GET /v1/assessments/{id})."""

    id: uuid.UUID
    organisation: str
    organisation_id: uuid.UUID | None
    status: Status
    narrative: str
    evidence_links: list[str]
    assessed_on: dt.date


class RecommendationOut(BaseModel):
    id: uuid.UUID
    ref: str
    kind: Kind
    paragraph: str
    text: str
    state_under_review: str
    recommending_states: list[RecommendingStateOut]
    mechanism: str
    cycle: int | None
    session: int | None
    document: DocumentRef
    position: Position
    position_source: str | None
    themes: list[str]
    affected_persons: list[str]
    sdg_targets: list[str]
    institutions: list[str]
    status: Status
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    assessments: dict[Literal["nhri", "civil_society", "un"], list[AssessmentBrief]] | None = Field(
        default=None,
        description="one recommendation (not lists): independent assessments by source,"
        " newest first, beside the government's `status` which they never change",
    )


class Tombstone(BaseModel):
    """A recommendation deleted since ``updated_since`` (with ``include_deleted=true``)."""

    id: uuid.UUID
    ref: str
    deleted: Literal[True]
    deleted_at: dt.datetime
    updated_at: dt.datetime


class RecommendationPage(BaseModel):
    items: list[RecommendationOut | Tombstone]
    next_cursor: str | None
    sync_token: str | None = Field(
        description="on the last page (`next_cursor` null): send it back as `since_token`"
        " to receive every change committed since this answer was read, deletions included"
        " (also in the `Sync-Token` header)"
    )


class RecommendationPatch(BaseModel):
    """A JSON merge patch (RFC 7396) of the tags a follow-up team maintains: a field
    absent is unchanged, a field given replaces the whole list (`[]` empties it). To add
    or remove single values, use `POST /v1/recommendations/{id}/tags`."""

    model_config = ConfigDict(extra="forbid")

    themes: list[str] | None = Field(default=None, max_length=100)
    affected_persons: list[str] | None = Field(default=None, max_length=100)
    sdg_targets: list[str] | None = Field(default=None, max_length=169)
    institutions: list[str] | None = Field(default=None, max_length=100)


class TagValues(BaseModel):
    """Values of each tag list (UHRI theme codes or names, affected-persons groups, SDG
    targets, institution names)."""

    model_config = ConfigDict(extra="forbid")

    themes: list[str] = Field(default=[], max_length=100)
    affected_persons: list[str] = Field(default=[], max_length=100)
    sdg_targets: list[str] = Field(default=[], max_length=169)
    institutions: list[str] = Field(default=[], max_length=100)


class TagOperations(BaseModel):
    """Values to add to and remove from the tag lists, the other values untouched: two
    editors adding different themes both keep theirs. Adding a value already there or
    removing one that is not is no change; a value both added and removed is a 422."""

    model_config = ConfigDict(extra="forbid")

    add: TagValues = TagValues()
    remove: TagValues = TagValues()


class UpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    narrative: str = Field(min_length=1, max_length=20_000)
    evidence_links: list[AnyHttpUrl] = Field(default_factory=list, max_length=50)
    source: UpdateSource
    author: str | None = Field(default=None, max_length=300)
    reported_on: dt.date | None = None


class UpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    recommendation_id: uuid.UUID
    status: Status
    narrative: str
    evidence_links: list[str]
    source: UpdateSource
    author: str | None
    reported_on: dt.date
    created_at: dt.datetime


class PositionChangeOut(BaseModel):
    position: Position
    position_raw: str | None
    source_symbol: str | None
    changed_at: dt.datetime


class FacetValue(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    total: int
    position: list[FacetValue]
    status: list[FacetValue]
    theme: list[FacetValue]
    sdg_goal: list[FacetValue]
    recommending_state: list[FacetValue]
    cycle: list[FacetValue]


Cycle = Annotated[int, Field(ge=1, le=20)]
SessionNumber = Annotated[int, Field(ge=1, le=500)]


class RecommendationQuery(BaseModel):
    """The filters of lists, facets and exports as query parameters (repeat a parameter
    for alternatives: ``?country=FRA&country=DEU``)."""

    country: list[str] = Field(default=[], description="State under review, ISO3")
    recommending_state: list[str] = Field(default=[], description="recommending State, ISO3")
    mechanism: list[str] = Field(default=[], description="UPR, CCPR, CRC, ... or SP")
    cycle: list[Cycle] = []
    session: list[SessionNumber] = []
    document: list[str] = Field(default=[], description="document symbol")
    position: list[Position] = []
    status: list[Status] = []
    kind: list[Kind] = Field(default=[], description="recommendation or observation")
    theme: list[str] = Field(default=[], description="UHRI theme code or name")
    affected_person: list[str] = []
    sdg: list[str] = Field(default=[], description="SDG goal (16) or target (16.3)")
    institution: list[str] = []
    q: str | None = Field(
        default=None, min_length=1, max_length=500, description="full text, web-search syntax"
    )
    updated_since: dt.datetime | None = Field(
        default=None,
        description="ISO 8601; rows stamped after this instant. Best effort: a change"
        " committed late by a long transaction can carry an earlier time and be missed;"
        " for a complete delta sync use `since_token`",
    )
    include_deleted: bool = Field(
        default=False, description="with updated_since: deletions come back as tombstones"
    )


class RecommendationListQuery(RecommendationQuery):
    """The list's query: the filters, the page size and the cursor of the page."""

    limit: int = Field(
        default=DEFAULT_LIMIT,
        ge=1,
        le=MAX_LIMIT,
        description=f"page size (default {DEFAULT_LIMIT})",
    )
    cursor: str | None = Field(default=None, max_length=4000)
    fields: list[str] = Field(
        default=[],
        description="only these item fields (comma-separated or repeated), e.g."
        " `fields=id,ref,status`",
    )
    since_token: str | None = Field(
        default=None,
        max_length=4000,
        description="the `sync_token` of a previous answer with the same filters: every"
        " change committed since it, deletions as tombstones (400 `invalid_sync_token`"
        " for a token this list did not issue)",
    )


# The tag fields: arrays of taxonomy codes, edited by bulk tag operations.
TAG_FIELDS = ("themes", "affected_persons", "sdg_targets", "institutions")

# The fields of a list item, in the order items hold them.
ITEM_FIELDS = (
    "id",
    "ref",
    "kind",
    "paragraph",
    "text",
    "state_under_review",
    "recommending_states",
    "mechanism",
    "cycle",
    "session",
    "document",
    "position",
    "position_source",
    *TAG_FIELDS,
    "status",
    "version",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class RecommendationFilter:
    """The list filters; values within one filter are alternatives (OR), filters combine (AND)."""

    countries: tuple[str, ...] = ()
    recommending_states: tuple[str, ...] = ()
    mechanisms: tuple[str, ...] = ()
    cycles: tuple[int, ...] = ()
    sessions: tuple[int, ...] = ()
    documents: tuple[str, ...] = ()
    positions: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    affected_persons: tuple[str, ...] = ()
    sdg_goals: tuple[int, ...] = ()
    sdg_targets: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    q: str | None = None
    updated_since: dt.datetime | None = None
    include_deleted: bool = False
    # The snapshot of the sync token a delta follows (``since_token``).
    since: Snapshot | None = None
