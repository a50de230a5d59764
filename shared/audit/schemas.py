from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel


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
