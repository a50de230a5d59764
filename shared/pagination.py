"""Opaque keyset cursors and pages."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from shared.errors import InvalidCursor

T = TypeVar("T")
RowT = TypeVar("RowT")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(kind: str, values: Sequence[Any]) -> str:
    """A URL-safe token carrying the sort key of the last row of a page."""
    payload = orjson.dumps([kind, list(values)])
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, kind: str, types: Sequence[type | tuple[type, ...]]) -> list[Any]:
    """The sort key inside a cursor; InvalidCursor for anything this server did not write."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor(
            "the cursor is malformed; use next_cursor from a previous page"
        ) from exc
    if (
        not isinstance(data, list)
        or len(data) != 2
        or data[0] != kind
        or not isinstance(data[1], list)
        or len(data[1]) != len(types)
        or not all(
            isinstance(v, t) and not (isinstance(v, bool) and t is int)
            for v, t in zip(data[1], types, strict=True)
        )
    ):
        raise InvalidCursor("the cursor does not belong to this list or ordering")
    return list(data[1])


Instant = TypeVar("Instant", dt.date, dt.datetime)


def encode_time_key(kind: str, at: dt.date, ident: uuid.UUID) -> str:
    """A cursor after the row at (``at``, ``ident``): the key of most lists here, a date
    or a timestamp made unique by the row's id."""
    return encode_cursor(kind, [at.isoformat(), str(ident)])


def decode_time_key(
    token: str | None, kind: str, parse: Callable[[str], Instant]
) -> tuple[Instant, uuid.UUID] | None:
    """The (date or timestamp, id) a cursor from ``encode_time_key`` carries; None without
    a cursor. ``parse`` is ``dt.date.fromisoformat`` or ``dt.datetime.fromisoformat``."""
    if not token:
        return None
    at, ident = decode_cursor(token, kind, [str, str])
    try:
        return parse(at), uuid.UUID(ident)
    except ValueError:
        raise InvalidCursor("the cursor is malformed; use next_cursor as given") from None


def split_page(
    rows: Sequence[RowT], limit: int, cursor_after: Callable[[RowT], str]
) -> tuple[Sequence[RowT], str | None]:
    """The first ``limit`` of ``rows`` (read with ``limit + 1``), and the cursor after the
    last of them (``cursor_after`` that row) when more follow."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], cursor_after(rows[limit - 1])


def split_time_key_page(
    kind: str, rows: Sequence[RowT], limit: int, key: Callable[[RowT], tuple[dt.date, uuid.UUID]]
) -> tuple[Sequence[RowT], str | None]:
    """``split_page`` of a list keyed by (time, id): ``key`` of a row."""
    return split_page(rows, limit, lambda row: encode_time_key(kind, *key(row)))


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
