"""Ingestion runs, their per-document items, and the cache behind conditional GET."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey, sql_in

RUN_STATUSES = ("listing", "running", "finished")
RUN_TRIGGERS = ("api", "cron", "cli", "startup")
# queued/running: waiting or in progress; the rest are final outcomes of one document.
ITEM_STATUSES = ("queued", "running", "new", "updated", "unchanged", "skipped", "failed")
FINAL_ITEM_STATUSES = ("new", "updated", "unchanged", "skipped", "failed")
SOURCE_TYPES = ("file", "url")


class IngestionRun(UUIDPrimaryKey, Timestamps, Base):
    """One pass over a set of sources: who started it, what it listed, how it ended."""

    __tablename__ = "ingestion_runs"
    __table_args__ = (
        CheckConstraint(sql_in("status", RUN_STATUSES), name="status"),
        CheckConstraint(sql_in("trigger", RUN_TRIGGERS), name="trigger"),
        Index("ix_ingestion_runs_order", "created_at", "id"),
        Index("ix_ingestion_runs_status", "status"),
    )

    trigger: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="listing")
    # The sources as configured when the run started (JSON, see shared.ingestion.sources).
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # Listing problems (an index page that could not be fetched, a missing folder).
    errors: Mapped[list[str]] = mapped_column(JSONB, default=list)
    finished_at: Mapped[dt.datetime | None]


class IngestionItem(UUIDPrimaryKey, Timestamps, Base):
    """One document of a run: where it came from, and what ingesting it did (or why not)."""

    __tablename__ = "ingestion_items"
    __table_args__ = (
        CheckConstraint(sql_in("status", ITEM_STATUSES), name="status"),
        CheckConstraint(sql_in("source_type", SOURCE_TYPES), name="source_type"),
        UniqueConstraint("run_id", "source_key"),
        # The sweeper looks for items left queued or running.
        Index("ix_ingestion_items_pending", "status", "updated_at"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ingestion_runs.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    source_type: Mapped[str] = mapped_column(String(10))
    source_key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    symbol: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str | None] = mapped_column(String(30))
    sha256: Mapped[str | None] = mapped_column(String(64))
    recommendations_created: Mapped[int] = mapped_column(Integer, default=0)
    recommendations_updated: Mapped[int] = mapped_column(Integer, default=0)
    positions_changed: Mapped[int] = mapped_column(Integer, default=0)
    unresolved_names: Mapped[list[str]] = mapped_column(JSONB, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSONB, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class SourceCache(Base):
    """What the last fetch of a URL returned, for conditional GET (ETag / Last-Modified)."""

    __tablename__ = "ingestion_source_cache"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(200))
    fetched_at: Mapped[dt.datetime]
