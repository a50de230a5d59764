"""Partial updates written onto rows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from shared.errors import InvalidInput


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


def merge_patch(data: BaseModel, not_null: tuple[str, ...]) -> dict[str, Any]:
    """The fields a JSON merge patch sets; 422 when it sets one of ``not_null`` to null."""
    changes = data.model_dump(exclude_unset=True)
    for key in not_null:
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key} cannot be null")
    return changes


def invalid(exc: ValidationError) -> InvalidInput:
    """The 422 of a body checked by its input model in a service (a patch merged onto the
    current values): each error named by its field, as for a request's body."""
    errors: list[dict[str, Any]] = [
        {
            "loc": ["body", *[str(x) for x in e["loc"]]],
            "field": ".".join(str(x) for x in e["loc"]),
            "message": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]
    return InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
