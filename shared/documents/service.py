from __future__ import annotations

import datetime as dt
import uuid
from typing import TypedDict, Unpack

from sqlalchemy.ext.asyncio import AsyncSession

from shared.documents.models import Document
from shared.documents.repository import DocumentRepository
from shared.documents.schemas import DocumentDetail, DocumentOut
from shared.errors import NotFound
from shared.kernel.shapes import shape_of
from shared.pagination import Page, decode_time_key, split_time_key_page


def _out(doc: Document, count: int) -> DocumentOut:
    return shape_of(DocumentOut, doc, recommendations=count)


class DocumentFilters(TypedDict):
    countries: tuple[str, ...]
    kinds: tuple[str, ...]
    mechanisms: tuple[str, ...]
    cycles: tuple[int, ...]
    symbols: tuple[str, ...]


async def list_documents(
    session: AsyncSession, *, cursor: str | None, limit: int, **filters: Unpack[DocumentFilters]
) -> Page[DocumentOut]:
    after = decode_time_key(cursor, "documents", dt.date.fromisoformat)
    rows = await DocumentRepository(session).page(after=after, limit=limit + 1, **filters)
    rows, next_cursor = split_time_key_page(
        "documents", rows, limit, lambda r: (r[0].date or dt.date(1, 1, 1), r[0].id)
    )
    return Page(items=[_out(doc, count) for doc, count in rows], next_cursor=next_cursor)


async def get_document(session: AsyncSession, ident: str) -> DocumentDetail:
    key: uuid.UUID | str
    try:
        key = uuid.UUID(ident)
    except ValueError:
        key = ident
    row = await DocumentRepository(session).get(key)
    if row is None:
        raise NotFound(f"no document {ident!r}")
    doc, count = row
    return shape_of(DocumentDetail, doc, recommendations=count)
