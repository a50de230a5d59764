"""Input and output shapes of ingestion runs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunIn(BaseModel):
    """Start a run over the configured sources, or over the sources given here."""

    model_config = ConfigDict(extra="forbid")

    sources: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=100,
        description='e.g. [{"type": "urls", "urls": ["https://..."]}]; default: INGEST_SOURCES',
    )


class RunCounts(BaseModel):
    """Documents by outcome, and the recommendations they created or changed."""

    queued: int = 0
    running: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    recommendations_created: int = 0
    recommendations_updated: int = 0


class RunOut(BaseModel):
    id: uuid.UUID
    trigger: str
    requested_by: str | None
    status: str
    sources: list[dict[str, Any]]
    errors: list[str]
    counts: RunCounts
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ItemOut(BaseModel):
    """One document of a run and its outcome; ``error`` says why it failed."""

    id: uuid.UUID
    source_type: str
    source_key: str
    status: str
    document_id: uuid.UUID | None
    symbol: str | None
    kind: str | None
    sha256: str | None
    recommendations_created: int
    recommendations_updated: int
    positions_changed: int
    unresolved_names: list[str]
    warnings: list[str]
    error: str | None
    attempts: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class RunDetail(RunOut):
    items: list[ItemOut]
