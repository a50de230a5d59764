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


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: an API key, or an operator on the command line."""

    name: str
    scopes: frozenset[str]
    countries: frozenset[str] | None
    api_key_id: uuid.UUID | None = None

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
            raise Forbidden(f"this API key lacks the scope {scope.value!r}", code="missing_scope")

    def may_write_country(self, iso3: str | None) -> bool:
        return self.countries is None or (iso3 is not None and iso3 in self.countries)

    def require_country(self, iso3: str | None) -> None:
        if not self.may_write_country(iso3):
            raise Forbidden(
                f"this API key may not write data of {iso3 or 'this resource'}",
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
