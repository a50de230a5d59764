"""Input and output of users, memberships and `GET /v1/me`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from shared.people.config import MembershipSpec, Role


class MembershipOut(BaseModel):
    id: uuid.UUID | None = Field(description="None for a membership taken from token groups")
    role: Role
    country: str | None
    institution_id: uuid.UUID | None
    institution: str | None
    source: Literal["granted", "token"] = "granted"
    granted_by: str | None = None
    created_at: dt.datetime | None = None


class UserOut(BaseModel):
    id: uuid.UUID
    issuer: str
    subject: str
    name: str | None
    email: str | None
    active: bool
    created_at: dt.datetime
    memberships: list[MembershipOut]


class UserIn(BaseModel):
    """A person by the issuer and subject of their tokens (they need not have signed in)."""

    issuer: str = Field(min_length=1, max_length=500)
    subject: str = Field(min_length=1, max_length=255)


class UserPatch(BaseModel):
    active: bool


class GrantIn(MembershipSpec):
    """`institution`: its name or id, in `country` (for `focal_point`, `nhri`,
    `civil_society`: the institution or organisation the person acts for)."""


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class Capabilities(BaseModel):
    """What the caller may do, by scope."""

    admin: bool
    validate_progress_in: list[str] = Field(
        description="States whose progress reports the caller validates or returns"
    )
    draft_progress_for: list[uuid.UUID] = Field(
        description="institutions whose progress reports the caller drafts and submits"
    )
    assess_as: list[uuid.UUID] = Field(
        description="organisations (NHRI, civil society) the caller publishes assessments for"
    )
    write_countries: list[str] | None = Field(
        description="States whose data the caller may write with its scopes (None: every)"
    )


class MeOut(BaseModel):
    kind: Literal["user", "api_key"]
    id: uuid.UUID | None
    name: str | None
    email: str | None = None
    issuer: str | None = None
    subject: str | None = None
    scopes: list[str]
    memberships: list[MembershipOut]
    may: Capabilities
