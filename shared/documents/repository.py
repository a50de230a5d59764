from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.documents.models import Document, DocumentFile
from shared.kernel.repository import where_in
from shared.recommendations.models import Recommendation

_COUNT = (
    select(func.count())
    .where(Recommendation.document_id == Document.id, Recommendation.deleted_at.is_(None))
    .correlate(Document)
    .scalar_subquery()
)


# Concluding observations become documents, so that the deadlines domain derives their
# treaty-body follow-up deadline. A document parsed from its file (not from UHRI) is left
# alone. Returns the documents that are new or whose date moved. (Written here: the
# documents domain owns the documents table; the UHRI import calls it.)
_UPSERT_CONCLUDING_OBSERVATIONS = """
INSERT INTO documents AS d (id, symbol, kind, title, state_under_review, state_name,
    mechanism, date, source_url, sha256, size, provenance, warnings, created_at, updated_at)
SELECT t.id, t.symbol, 'concluding_observations', NULL, t.state, t.state_name, t.mechanism,
    t.date, t.source_url, t.sha256, 0,
    jsonb_build_object('source', 'uhri', 'import_id', CAST(:import_id AS text)), '[]'::jsonb,
    now(), now()
FROM unnest(CAST(:ids AS uuid[]), CAST(:symbols AS text[]), CAST(:states AS text[]),
    CAST(:state_names AS text[]), CAST(:mechanisms AS text[]), CAST(:dates AS date[]),
    CAST(:urls AS text[]), CAST(:shas AS text[]))
    AS t(id, symbol, state, state_name, mechanism, date, source_url, sha256)
ON CONFLICT (symbol) DO UPDATE SET date = EXCLUDED.date, updated_at = now()
WHERE d.provenance ->> 'source' = 'uhri' AND d.kind = 'concluding_observations'
    AND EXCLUDED.date < d.date
RETURNING d.id
"""


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        *,
        after: tuple[dt.date, uuid.UUID] | None,
        limit: int,
        countries: Sequence[str] = (),
        kinds: Sequence[str] = (),
        mechanisms: Sequence[str] = (),
        cycles: Sequence[int] = (),
        symbols: Sequence[str] = (),
    ) -> Sequence[tuple[Document, int]]:
        date_key = func.coalesce(Document.date, dt.date(1, 1, 1))
        query = select(Document, _COUNT).order_by(date_key.desc(), Document.id).limit(limit)
        query = where_in(
            query,
            {
                Document.state_under_review: countries,
                Document.kind: kinds,
                Document.mechanism: mechanisms,
                Document.cycle: cycles,
                Document.symbol: symbols,
            },
        )
        if after is not None:
            # Descending date, ascending id.
            query = query.where(
                (date_key < after[0]) | ((date_key == after[0]) & (Document.id > after[1]))
            )
        return [(row[0], int(row[1])) for row in (await self.session.execute(query)).all()]

    async def get(self, ident: uuid.UUID | str) -> tuple[Document, int] | None:
        column: Any = Document.id if isinstance(ident, uuid.UUID) else Document.symbol
        result = await self.session.execute(select(Document, _COUNT).where(column == ident))
        row = result.first()
        return (row[0], int(row[1])) if row is not None else None

    async def content(self, sha256: str) -> bytes | None:
        row = await self.session.get(DocumentFile, sha256)
        return row.content if row is not None else None

    async def upsert_concluding_observations(
        self, import_id: uuid.UUID, documents: Sequence[dict[str, Any]]
    ) -> list[uuid.UUID]:
        if not documents:
            return []
        params: dict[str, Any] = {
            "import_id": str(import_id),
            "ids": [d["id"] for d in documents],
            "symbols": [d["symbol"] for d in documents],
            "states": [d["state"] for d in documents],
            "state_names": [d["state_name"] for d in documents],
            "mechanisms": [d["mechanism"] for d in documents],
            "dates": [d["date"] for d in documents],
            "urls": [d["source_url"] for d in documents],
            "shas": [d["sha256"] for d in documents],
        }
        result = await self.session.execute(text(_UPSERT_CONCLUDING_OBSERVATIONS), params)
        return [row[0] for row in result]

    # --- written by ingestion -------------------------------------------------------

    async def lock(self, key: str) -> None:
        """Serialise concurrent ingestions of one report (or one file) until commit."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )

    async def file_exists(self, sha256: str) -> bool:
        result = await self.session.execute(
            select(DocumentFile.sha256).where(DocumentFile.sha256 == sha256)
        )
        return result.scalar_one_or_none() is not None

    async def add_file(self, sha256: str, content: bytes) -> None:
        await self.session.execute(
            pg_insert(DocumentFile)
            .values(sha256=sha256, content=content)
            .on_conflict_do_nothing(index_elements=["sha256"])
        )

    async def document_by_symbol(self, symbol: str) -> Document | None:
        result = await self.session.execute(select(Document).where(Document.symbol == symbol))
        return result.scalar_one_or_none()

    async def document_by_sha(self, sha256: str) -> Document | None:
        result = await self.session.execute(select(Document).where(Document.sha256 == sha256))
        return result.scalar_one_or_none()

    async def dependents(self, report_symbol: str) -> Sequence[Document]:
        """Add.1 views and matrices stored for a report, oldest first."""
        result = await self.session.execute(
            select(Document)
            .where(
                Document.report_symbol == report_symbol,
                Document.kind.in_(("add1_views", "matrix")),
            )
            .order_by(Document.date.nulls_first(), Document.created_at, Document.id)
        )
        return result.scalars().all()

    def add_document(self, document: Document) -> None:
        self.session.add(document)
