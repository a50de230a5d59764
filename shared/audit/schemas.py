from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which entries a list shows: of one entity type, of one entity, since a moment."""

    entity: str | None = None
    entity_id: str | None = None
    since: dt.datetime | None = None


class AuditEntryRead(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    api_key_id: uuid.UUID | None
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
