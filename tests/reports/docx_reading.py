"""Reading a generated report back with python-docx: headings, tables, fields."""

from __future__ import annotations

import io
from typing import Any

from docx import Document


def open_docx(blob: bytes) -> Any:
    return Document(io.BytesIO(blob))


def headings(doc: Any, level: int) -> list[str]:
    style = "Title" if level == 0 else f"Heading {level}"
    return [p.text for p in doc.paragraphs if p.style.name == style]


def outline(doc: Any) -> list[tuple[int, str]]:
    """(level, text) of every heading, in document order."""
    out = []
    for p in doc.paragraphs:
        name = p.style.name
        if name.startswith("Heading "):
            out.append((int(name.split()[1]), p.text))
    return out


def table_rows(table: Any) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def has_toc_field(doc: Any) -> bool:
    return any(
        "TOC" in (t.text or "") for t in doc.element.body.iter() if t.tag.endswith("instrText")
    )
