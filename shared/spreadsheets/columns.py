"""The columns of the recommendations workbook: the header names are the contract."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    width: int
    # Editable columns come back as a progress update; the others are for reading, and
    # the import ignores them (the position must stay as it is).
    editable: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", 38),
    Column("ref", 24),
    Column("document", 18),
    Column("paragraph", 10),
    Column("mechanism", 10),
    Column("text", 60),
    Column("recommending_states", 30),
    Column("position", 20),
    Column("themes", 20),
    Column("owner", 30),
    Column("status", 22, editable=True),
    Column("narrative", 60, editable=True),
    Column("evidence_links", 40, editable=True),
    Column("reported_on", 14, editable=True),
    Column("author", 24, editable=True),
)
KEYS = tuple(c.key for c in COLUMNS)
REQUIRED = ("id", "status", "narrative")
MAX_ROWS = 50_000
