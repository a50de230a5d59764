from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from shared.errors import Forbidden


class Scope(StrEnum):
    RECOMMENDATIONS_WRITE = "recommendations:write"
    PROGRAMMES_WRITE = "programmes:write"
    MANDATES_WRITE = "mandates:write"
    SUBSCRIPTIONS_WRITE = "subscriptions:write"
    PERSONAL_DATA_READ = "personal_data:read"
    ADMIN = "admin"


ROLES = ("admin", "coordinator", "focal_point", "nhri", "civil_society", "viewer")


@dataclass(frozen=True, slots=True)
class Membership:
    """A role in a scope: ``country`` for coordinators and focal points, ``institution_id``
    for focal points (their institution) and NHRIs / civil society (their organisation)."""

    role: str
    country: str | None = None
    institution_id: uuid.UUID | None = None
    institution: str | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: an API key, a signed-in person, or an operator on the command line.

    A person's memberships are translated into ``scopes`` and ``countries`` so that the
    routes written for API keys apply to them too: an admin has every scope, a coordinator
    of a State has the write scopes for that State; other roles write only through the
    routes that check their memberships (progress reports, assessments)."""

    name: str
    scopes: frozenset[str]
    countries: frozenset[str] | None
    api_key_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    memberships: tuple[Membership, ...] = ()

    def roles_in(self, role: str) -> list[Membership]:
        return [m for m in self.memberships if m.role == role]

    def coordinates(self, iso3: str | None) -> bool:
        """May validate, return and manage data of the State ``iso3``: a coordinator of it,
        an admin, or an API key allowed to write recommendations of that State."""
        if self.user_id is None:
            return self.has(Scope.RECOMMENDATIONS_WRITE) and self.may_write_country(iso3)
        return self.is_admin or any(m.country == iso3 for m in self.roles_in("coordinator"))

    def institutions(self, role: str) -> set[uuid.UUID]:
        return {m.institution_id for m in self.roles_in(role) if m.institution_id is not None}

    @property
    def is_admin(self) -> bool:
        return Scope.ADMIN in self.scopes

    @property
    def is_global_admin(self) -> bool:
        """An admin key limited to no country: only it acts on data of no country
        (ingestion runs, the audit log, imports) and on other keys' subscriptions."""
        return self.is_admin and self.countries is None

    def require_global_admin(self) -> None:
        self.require(Scope.ADMIN)
        if self.countries is not None:
            raise Forbidden(
                "this route needs an admin key that is not limited to countries",
                code="country_not_allowed",
            )

    def has(self, scope: Scope) -> bool:
        return self.is_admin or scope in self.scopes

    def require(self, scope: Scope) -> None:
        if not self.has(scope):
            raise Forbidden(f"this caller lacks the scope {scope.value!r}", code="missing_scope")

    def may_write_country(self, iso3: str | None) -> bool:
        return self.countries is None or (iso3 is not None and iso3 in self.countries)

    def require_country(self, iso3: str | None) -> None:
        if not self.may_write_country(iso3):
            raise Forbidden(
                f"this caller may not write data of {iso3 or 'this resource'}",
                code="country_not_allowed",
            )


OPERATOR = Actor(name="operator", scopes=frozenset({Scope.ADMIN.value}), countries=None)
WORKER = Actor(name="worker", scopes=frozenset({Scope.ADMIN.value}), countries=None)


class ApiKeyRead(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    countries: list[str] | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str
