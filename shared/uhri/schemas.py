"""What an import reports: the import row as the CLI and the admin API show it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict


class UnmappedLabel(BaseModel):
    field: str
    label: str
    count: int


class UhriImportOut(BaseModel):
    """One UHRI import: counts (new, updated, unchanged, merged, tombstoned, unmapped)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source: str
    trigger: str
    source_format: str | None
    full: bool
    status: str
    error: str | None
    warnings: list[str]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    records: int
    created: int
    updated: int
    unchanged: int
    merged: int
    tombstoned: int
    unmapped: int
    record_errors: int
    unmapped_labels: list[UnmappedLabel]
    error_samples: list[dict[str, Any]]
    etag: str | None
    last_modified: str | None
    sha256: str | None
    size: int | None
