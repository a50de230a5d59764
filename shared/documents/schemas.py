from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel


class DocumentOut(BaseModel):
    id: uuid.UUID
    symbol: str | None
    kind: str
    title: str | None
    state_under_review: str | None
    state_name: str | None
    mechanism: str
    cycle: int | None
    session: int | None
    date: dt.date | None
    report_symbol: str | None
    source_url: str | None
    filename: str | None
    media_type: str | None
    sha256: str
    size: int
    recommendations: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DocumentDetail(DocumentOut):
    provenance: dict[str, Any]
    warnings: list[str]
