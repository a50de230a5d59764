from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey

DOCUMENT_KINDS = (
    "wg_report",
    "add1_views",
    "matrix",
    "concluding_observations",
    "midterm_report",
    "other",
)


class Document(UUIDPrimaryKey, Timestamps, Base):
    """A UN document: its symbol, kind, State, mechanism, cycle and where it came from."""

    __tablename__ = "documents"
    __table_args__ = (Index(None, "state_under_review", "date"),)

    symbol: Mapped[str | None] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    state_under_review: Mapped[str | None] = mapped_column(ForeignKey("countries.iso3"))
    state_name: Mapped[str | None] = mapped_column(String(200))
    mechanism: Mapped[str] = mapped_column(ForeignKey("mechanisms.code"), index=True)
    cycle: Mapped[int | None]
    session: Mapped[int | None]
    date: Mapped[dt.date | None]
    # For Add.1 views and matrices: the WG report whose paragraphs they refer to.
    report_symbol: Mapped[str | None] = mapped_column(String(100))
    source_url: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    warnings: Mapped[list[str]] = mapped_column(JSONB, default=list)


class DocumentFile(Base):
    """The raw bytes of a document, kept apart so that document lists stay light."""

    __tablename__ = "document_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
