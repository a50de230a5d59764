"""Output shapes read from rows: the fields a model (or a dataclass) shares with a row are
taken from it by name, so a new column reaches the answer without a field-by-field copy."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.db import Base

ModelT = TypeVar("ModelT", bound=BaseModel)
RecordT = TypeVar("RecordT")
RowT = TypeVar("RowT", bound=Base)


def shape_of(model: type[ModelT], row: object, **values: Any) -> ModelT:
    """``model`` filled from the attributes of ``row`` with the same names; ``values``
    give the fields the row has not, or has under another name (derived, renamed, or
    hidden by scope). Nested models are read from attributes too."""
    fields = {
        name: values[name] if name in values else getattr(row, name)
        for name in model.model_fields
        if name in values or hasattr(row, name)
    }
    return model.model_validate(fields, from_attributes=True)


def record_of(cls: type[RecordT], row: object, **values: Any) -> RecordT:
    """The dataclass ``cls`` filled from ``row`` like ``shape_of``; fields with a default
    may be absent from the row."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(
        **{
            name: values[name] if name in values else getattr(row, name)
            for name in names
            if name in values or hasattr(row, name)
        }
    )


def row_from(model: type[RowT], data: BaseModel, **values: Any) -> RowT:
    """A new row of ``model``, under a fresh id, from the fields of the input ``data`` that
    are its columns; ``values`` give the other columns, or replace an input as given
    (trimmed, derived)."""
    columns = model.__table__.c
    given = {name: value for name, value in data if name in columns and name not in values}
    return model(**{"id": uuid.uuid4(), **given, **values})
