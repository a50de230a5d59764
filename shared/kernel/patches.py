"""Partial updates written onto rows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def set_given(row: Any, changes: BaseModel) -> None:
    """Set on ``row`` each field ``changes`` gives (None leaves it as it is): a narrative
    trimmed, evidence links as strings, anything else as given."""
    for name in type(changes).model_fields:
        value = getattr(changes, name)
        if value is None:
            continue
        if name == "narrative":
            value = value.strip()
        elif name == "evidence_links":
            value = [str(u) for u in value]
        setattr(row, name, value)
