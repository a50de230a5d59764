from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.documents.models import Document
from shared.documents.repository import DocumentRepository
from shared.documents.schemas import DocumentDetail, DocumentOut
from shared.errors import NotFound
from shared.pagination import Page, decode_time_key, encode_time_key

_FIELDS = [
    "id",
    "symbol",
    "kind",
    "title",
    "state_under_review",
    "state_name",
    "mechanism",
    "cycle",
    "session",
    "date",
    "report_symbol",
    "source_url",
    "filename",
    "media_type",
    "sha256",
    "size",
    "created_at",
    "updated_at",
]


def _out(doc: Document, count: int) -> DocumentOut:
    return DocumentOut(**{f: getattr(doc, f) for f in _FIELDS}, recommendations=count)


async def list_documents(
    session: AsyncSession,
    *,
    countries: tuple[str, ...],
    kinds: tuple[str, ...],
    mechanisms: tuple[str, ...],
    cycles: tuple[int, ...],
    symbols: tuple[str, ...],
    cursor: str | None,
    limit: int,
) -> Page[DocumentOut]:
    after = decode_time_key(cursor, "documents", dt.date.fromisoformat)
    rows = await DocumentRepository(session).page(
        countries=countries,
        kinds=kinds,
        mechanisms=mechanisms,
        cycles=cycles,
        symbols=symbols,
        after=after,
        limit=limit + 1,
    )
    items = [_out(doc, count) for doc, count in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_time_key("documents", last.date or dt.date(1, 1, 1), last.id)
    return Page(items=items, next_cursor=next_cursor)


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
    return DocumentDetail(
        **_out(doc, count).model_dump(),
        provenance=dict(doc.provenance),
        warnings=list(doc.warnings),
    )
