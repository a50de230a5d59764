"""All SQL of deadlines."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, text

from shared.deadlines.models import Deadline
from shared.deadlines.schemas import DeadlineFilter
from shared.documents.models import Document
from shared.kernel.repository import Repository, keyset_page, where_equal, where_in
from shared.recommendations.models import Recommendation

_UPSERT = text(
    """
    INSERT INTO deadlines (id, kind, due_date, subject_type, subject_id, country, title,
                           status, origin, rule, met_at, version)
    VALUES (:id, :kind, :due_date, :subject_type, :subject_id, :country, :title,
            CASE WHEN CAST(:met AS boolean) THEN 'met'
                 WHEN CAST(:due_date AS date) < CURRENT_DATE THEN 'missed'
                 ELSE 'open' END,
            'derived', :rule, CASE WHEN CAST(:met AS boolean) THEN now() END, 1)
    ON CONFLICT (rule, subject_type, subject_id) DO UPDATE SET
        kind = EXCLUDED.kind,
        due_date = EXCLUDED.due_date,
        country = EXCLUDED.country,
        title = EXCLUDED.title,
        status = CASE
            WHEN CAST(:met AS boolean) THEN 'met'
            WHEN deadlines.status = 'missed' AND EXCLUDED.due_date >= CURRENT_DATE THEN 'open'
            ELSE deadlines.status END,
        met_at = CASE WHEN CAST(:met AS boolean) AND deadlines.status <> 'met' THEN now()
                      ELSE deadlines.met_at END,
        version = deadlines.version + 1,
        updated_at = now()
    -- Unchanged rows are left alone, so recomputing everything rewrites nothing.
    WHERE (deadlines.kind, deadlines.due_date, deadlines.country, deadlines.title)
              IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.due_date, EXCLUDED.country,
                                EXCLUDED.title)
       OR (CAST(:met AS boolean) AND deadlines.status <> 'met')
       OR (deadlines.status = 'missed' AND EXCLUDED.due_date >= CURRENT_DATE)
    RETURNING id
    """
)

_MARK_MET = text(
    """
    UPDATE deadlines SET status = 'met', met_at = now(), version = version + 1,
                         updated_at = now()
    WHERE rule = :rule AND subject_type = :subject_type AND subject_id = :subject_id
      AND status <> 'met'
    RETURNING id
    """
)


class DeadlineRepository(Repository[Deadline]):
    model = Deadline

    async def page(
        self, f: DeadlineFilter, *, after: tuple[dt.date, uuid.UUID] | None, limit: int
    ) -> Sequence[Deadline]:
        d = Deadline
        query = where_in(
            select(d),
            {
                d.country: f.countries,
                d.kind: f.kinds,
                d.subject_type: f.subject_types,
                d.status: f.statuses,
            },
        )
        query = where_equal(query, {d.subject_id: f.subject_id})
        if f.due_before is not None:
            query = query.where(Deadline.due_date < f.due_before)
        if f.due_after is not None:
            query = query.where(Deadline.due_date > f.due_after)
        query = keyset_page(query, d.due_date, d.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    async def for_country(self, iso3: str) -> Sequence[Deadline]:
        query = select(Deadline).where(Deadline.country == iso3)
        query = query.order_by(Deadline.due_date, Deadline.id)
        return (await self.session.execute(query)).scalars().all()

    async def upsert_derived(self, params: dict[str, Any]) -> uuid.UUID | None:
        """Insert or update one derived deadline; its id when something changed."""
        result = await self.session.execute(_UPSERT, {"id": uuid.uuid4(), **params})
        return result.scalar_one_or_none()

    async def mark_met(self, rule: str, subject_type: str, subject_id: str) -> uuid.UUID | None:
        result = await self.session.execute(
            _MARK_MET, {"rule": rule, "subject_type": subject_type, "subject_id": subject_id}
        )
        return result.scalar_one_or_none()

    async def delete_derived(self, rule: str, subject_type: str, subject_id: str) -> int:
        result = await self.session.execute(
            text(
                "DELETE FROM deadlines WHERE rule = :rule AND subject_type = :subject_type"
                " AND subject_id = :subject_id"
            ),
            {"rule": rule, "subject_type": subject_type, "subject_id": subject_id},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def mark_missed(self, today: dt.date) -> int:
        result = await self.session.execute(
            text(
                "UPDATE deadlines SET status = 'missed', version = version + 1,"
                " updated_at = now() WHERE status = 'open' AND due_date < :today"
            ),
            {"today": today},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # --- facts for the rules -------------------------------------------------------------

    async def subject_countries(self, subject_type: str, subject_id: str) -> list[str] | None:
        """The States a deadline's subject belongs to (a regional programme or mandate
        covers several), or None when the subject is not a stored row."""
        sql = _SUBJECT_COUNTRIES.get(subject_type)
        try:
            ident = uuid.UUID(subject_id.strip())
        except ValueError:
            return None
        if sql is None:
            return None
        row = (await self.session.execute(text(sql), {"id": ident})).first()
        return None if row is None else [c for c in row[0] if c]

    async def document(self, document_id: uuid.UUID) -> Document | None:
        return await self.session.get(Document, document_id)

    async def document_by_symbol(self, symbol: str) -> Document | None:
        result = await self.session.execute(select(Document).where(Document.symbol == symbol))
        return result.scalar_one_or_none()

    async def recommendation_counts(self, document_id: uuid.UUID) -> tuple[int, int]:
        """(pending, all) recommendations stated by a document."""
        row = (
            await self.session.execute(
                select(
                    func.count().filter(Recommendation.position == "pending"),
                    func.count(),
                ).where(
                    Recommendation.document_id == document_id,
                    Recommendation.deleted_at.is_(None),
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def add1_date(self, report_symbol: str) -> dt.date | None:
        result = await self.session.execute(
            select(func.min(Document.date)).where(
                Document.kind == "add1_views", Document.report_symbol == report_symbol
            )
        )
        return result.scalar_one_or_none()

    async def midterm_after(self, country: str, after: dt.date) -> bool:
        result = await self.session.execute(
            select(func.count()).where(
                Document.kind == "midterm_report",
                Document.state_under_review == country,
                Document.date > after,
            )
        )
        return bool(result.scalar_one())

    async def latest_wg_report(self, country: str) -> Document | None:
        result = await self.session.execute(
            select(Document)
            .where(
                Document.kind == "wg_report",
                Document.state_under_review == country,
                Document.date.is_not(None),
            )
            .order_by(Document.date.desc(), Document.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def wg_report_before(self, country: str, before: dt.date) -> Document | None:
        result = await self.session.execute(
            select(Document)
            .where(
                Document.kind == "wg_report",
                Document.state_under_review == country,
                Document.date < before,
            )
            .order_by(Document.date.desc(), Document.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def derivable_document_ids(
        self, after: uuid.UUID | None, limit: int
    ) -> Sequence[uuid.UUID]:
        query = (
            select(Document.id)
            .where(Document.kind.in_(("wg_report", "concluding_observations")))
            .order_by(Document.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Document.id > after)
        return (await self.session.execute(query)).scalars().all()


_SUBJECT_COUNTRIES = {
    "recommendation": "SELECT ARRAY[state_under_review] FROM recommendations WHERE id = :id",
    "document": "SELECT ARRAY[state_under_review] FROM documents WHERE id = :id",
    "programme": "SELECT countries FROM programmes WHERE id = :id",
    "mandate": "SELECT countries FROM mandates WHERE id = :id",
}
