"""What the UHRI import keeps: one row per import run, one row per UHRI annotation seen.

``uhri_records`` is the import's memory: the content hash of each annotation (so an
unchanged record costs no write on the recommendation), when it was last seen (so an
annotation that disappears from a complete export is tombstoned, never deleted), and the
recommendation it became or was merged into.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey, sql_in

IMPORT_STATUSES = ("running", "succeeded", "failed", "not_modified")
TRIGGERS = ("cli", "cron", "api")


class UhriImport(UUIDPrimaryKey, Base):
    """One import of a UHRI export (file or URL): its counts, outcome and HTTP validators."""

    __tablename__ = "uhri_imports"
    __table_args__ = (
        CheckConstraint(sql_in("status", IMPORT_STATUSES), name="status"),
        CheckConstraint(sql_in("trigger", TRIGGERS), name="trigger"),
        Index("ix_uhri_imports_started", "started_at", "id"),
        Index("ix_uhri_imports_source_status", "source", "status", "started_at"),
    )

    source: Mapped[str] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(String(10))
    source_format: Mapped[str | None] = mapped_column(String(10))
    # A full export: annotations it lacks are tombstoned once it has been read entirely.
    full: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # clock_timestamp(): tombstoning compares it with uhri_records.last_seen_at.
    started_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())
    finished_at: Mapped[dt.datetime | None]
    records: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    tombstoned: Mapped[int] = mapped_column(Integer, default=0)
    unmapped: Mapped[int] = mapped_column(Integer, default=0)
    record_errors: Mapped[int] = mapped_column(Integer, default=0)
    # [{"field": ..., "label": ..., "count": n}]: labels that resolved to nothing.
    unmapped_labels: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # The first record errors: [{"index": n, "uhri_id": ..., "message": ...}].
    error_samples: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)


class UhriRecordState(Timestamps, Base):
    """One UHRI annotation as last imported, keyed by its OHCHR annotation id."""

    __tablename__ = "uhri_records"

    uhri_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    recommendation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("recommendations.id", ondelete="SET NULL"), index=True
    )
    content_hash: Mapped[bytes] = mapped_column(LargeBinary)
    # Which imports first saw, last changed and last saw it. Plain ids, no foreign keys:
    # three RI checks per row would cost more than the whole upsert.
    first_import_id: Mapped[uuid.UUID | None]
    last_changed_import_id: Mapped[uuid.UUID | None]
    last_seen_import_id: Mapped[uuid.UUID | None]
    last_seen_at: Mapped[dt.datetime] = mapped_column(server_default=func.clock_timestamp())
    tombstoned_at: Mapped[dt.datetime | None]
