"""Data types produced by document ingestion (pure values, no database)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


class UnsupportedFormat(Exception):
    """The bytes are in a format the ingestion does not read (legacy .doc, images, ...)."""


class UnreadableDocument(Exception):
    """The bytes claim a supported format but cannot be read safely (corrupt, too large)."""


Table = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class ExtractedText:
    """Text of a document; ``tables`` keeps table cells structurally (DOCX, HTML)."""

    text: str
    format: str
    pages: int | None = None
    tables: tuple[Table, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RecommendingState:
    name: str
    iso3: str | None


@dataclass(frozen=True, slots=True)
class ParsedRecommendation:
    paragraph: str
    printed_number: str | None
    text: str
    recommending_states: tuple[RecommendingState, ...]
    position: str | None
    position_raw: str | None
    position_source: str | None
    themes: tuple[str, ...] = ()
    affected_persons: tuple[str, ...] = ()
    sdg_targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PositionChange:
    """What an Add.1 says about one recommendation of the report it answers."""

    paragraph: str
    position: str
    position_raw: str


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    symbol: str | None
    kind: str
    state_under_review: str | None
    state_name: str | None
    session: int | None
    cycle: int | None
    date: datetime.date | None
    recommendations: tuple[ParsedRecommendation, ...] = ()
    position_changes: tuple[PositionChange, ...] = ()
    report_symbol: str | None = None
    warnings: tuple[str, ...] = ()
