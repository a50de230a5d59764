from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.documents.models import Document, DocumentFile
from shared.recommendations.models import Recommendation

_COUNT = (
    select(func.count())
    .where(Recommendation.document_id == Document.id, Recommendation.deleted_at.is_(None))
    .correlate(Document)
    .scalar_subquery()
)


class DocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        *,
        countries: Sequence[str],
        kinds: Sequence[str],
        mechanisms: Sequence[str],
        cycles: Sequence[int],
        symbols: Sequence[str],
        after: tuple[dt.date, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[tuple[Document, int]]:
        date_key = func.coalesce(Document.date, dt.date(1, 1, 1))
        query = select(Document, _COUNT).order_by(date_key.desc(), Document.id).limit(limit)
        if countries:
            query = query.where(Document.state_under_review.in_(countries))
        if kinds:
            query = query.where(Document.kind.in_(kinds))
        if mechanisms:
            query = query.where(Document.mechanism.in_(mechanisms))
        if cycles:
            query = query.where(Document.cycle.in_(cycles))
        if symbols:
            query = query.where(Document.symbol.in_(symbols))
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
