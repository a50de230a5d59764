"""All SQL of ingestion: runs and items, the fetch cache, and document/recommendation upserts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.documents.repository import DocumentRepository
from shared.ingestion.models import IngestionItem, IngestionRun, SourceCache
from shared.kernel.repository import get_row, lists_by_key, rows_by
from shared.recommendations.models import Recommendation, RecommendingState
from shared.recommendations.related_writes import RelatedWrites
from shared.recommendations.writes import RecommendationWrites


class IngestionRepository:
    """Runs, items and the conditional-GET cache."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_run(self, run: IngestionRun) -> None:
        self.session.add(run)

    async def recent_run(self, trigger: str, since: dt.datetime) -> IngestionRun | None:
        """The newest run of ``trigger`` started after ``since``, serialised across workers."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"ingestion:{trigger}"}
        )
        result = await self.session.execute(
            select(IngestionRun)
            .where(IngestionRun.trigger == trigger, IngestionRun.created_at > since)
            .order_by(IngestionRun.created_at.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def run(self, run_id: uuid.UUID, *, for_update: bool = False) -> IngestionRun | None:
        return await get_row(self.session, IngestionRun, run_id, for_update=for_update)

    async def runs_page(
        self, *, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[IngestionRun]:
        query = (
            select(IngestionRun)
            .order_by(IngestionRun.created_at.desc(), IngestionRun.id.desc())
            .limit(limit)
        )
        if after is not None:
            created, rid = after
            query = query.where(
                or_(
                    IngestionRun.created_at < created,
                    and_(IngestionRun.created_at == created, IngestionRun.id < rid),
                )
            )
        return (await self.session.execute(query)).scalars().all()

    async def status_counts(self, run_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        if not run_ids:
            return {}
        rows = await self.session.execute(
            select(
                IngestionItem.run_id,
                IngestionItem.status,
                func.count(),
                func.sum(IngestionItem.recommendations_created),
                func.sum(IngestionItem.recommendations_updated),
            )
            .where(IngestionItem.run_id.in_(run_ids))
            .group_by(IngestionItem.run_id, IngestionItem.status)
        )
        counts: dict[uuid.UUID, dict[str, int]] = {rid: {} for rid in run_ids}
        for run_id, status, count, created, updated in rows:
            c = counts[run_id]
            c[status] = int(count)
            c["recommendations_created"] = c.get("recommendations_created", 0) + int(created or 0)
            c["recommendations_updated"] = c.get("recommendations_updated", 0) + int(updated or 0)
        return counts

    async def items(self, run_id: uuid.UUID) -> Sequence[IngestionItem]:
        i = IngestionItem
        return await rows_by(self.session, i, (i.ordinal, i.id), run_id=run_id)

    async def add_items(
        self, run_id: uuid.UUID, entries: Sequence[tuple[str, str]]
    ) -> list[uuid.UUID]:
        """Insert (source_type, key) items once each; returns the ids of the new ones."""
        if not entries:
            return []
        start = int(
            (
                await self.session.execute(
                    select(func.coalesce(func.max(IngestionItem.ordinal), 0)).where(
                        IngestionItem.run_id == run_id
                    )
                )
            ).scalar_one()
        )
        rows = [
            {
                "id": uuid.uuid4(),
                "run_id": run_id,
                "ordinal": start + i + 1,
                "source_type": source_type,
                "source_key": key,
                "status": "queued",
                "recommendations_created": 0,
                "recommendations_updated": 0,
                "positions_changed": 0,
                "unresolved_names": [],
                "warnings": [],
                "attempts": 0,
            }
            for i, (source_type, key) in enumerate(dict.fromkeys(entries))
        ]
        result = await self.session.execute(
            pg_insert(IngestionItem)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["run_id", "source_key"])
            .returning(IngestionItem.id)
        )
        return list(result.scalars().all())

    async def item(self, item_id: uuid.UUID, *, for_update: bool = False) -> IngestionItem | None:
        return await get_row(self.session, IngestionItem, item_id, for_update=for_update)

    async def update_item(self, item_id: uuid.UUID, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(IngestionItem)
            .where(IngestionItem.id == item_id)
            .values(**values, updated_at=func.now())
            .execution_options(synchronize_session=False)
        )

    async def finish_run_if_done(self, run_id: uuid.UUID) -> bool:
        """Mark the run finished once none of its items is queued or running."""
        result = await self.session.execute(
            text(
                "UPDATE ingestion_runs SET status = 'finished', finished_at = now(),"
                " updated_at = now() WHERE id = :id AND status = 'running' AND NOT EXISTS"
                " (SELECT 1 FROM ingestion_items WHERE run_id = :id"
                " AND status IN ('queued', 'running')) RETURNING id"
            ),
            {"id": run_id},
        )
        return result.scalar_one_or_none() is not None

    async def stuck_items(
        self, older_than: dt.datetime, limit: int
    ) -> Sequence[Row[uuid.UUID, uuid.UUID, str, str]]:
        """Items still queued, or running far longer than a job may, since ``older_than``."""
        result = await self.session.execute(
            select(
                IngestionItem.id,
                IngestionItem.run_id,
                IngestionItem.source_key,
                IngestionItem.status,
            )
            .where(
                IngestionItem.status.in_(("queued", "running")),
                IngestionItem.updated_at < older_than,
            )
            .order_by(IngestionItem.updated_at)
            .limit(limit)
        )
        return result.all()

    async def touch_items(self, item_ids: Sequence[uuid.UUID]) -> None:
        if item_ids:
            await self.session.execute(
                update(IngestionItem)
                .where(IngestionItem.id.in_(item_ids))
                .values(updated_at=func.now())
                .execution_options(synchronize_session=False)
            )

    async def stuck_runs(self, older_than: dt.datetime) -> Sequence[uuid.UUID]:
        """Runs whose listing never happened (its job lost) or ended with nothing left."""
        result = await self.session.execute(
            select(IngestionRun.id).where(
                IngestionRun.status.in_(("listing", "running")),
                IngestionRun.updated_at < older_than,
            )
        )
        return result.scalars().all()

    async def cache(self, url: str) -> SourceCache | None:
        return await self.session.get(SourceCache, url)

    async def save_cache(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        sha256: str | None,
        content_type: str | None,
    ) -> None:
        values = {
            "etag": etag,
            "last_modified": last_modified,
            "sha256": sha256,
            "content_type": content_type,
            "fetched_at": func.now(),
        }
        await self.session.execute(
            pg_insert(SourceCache)
            .values(url=url, **values)
            .on_conflict_do_update(index_elements=["url"], set_=values)
        )


class DocumentStore(DocumentRepository):
    """What ingesting one document reads and writes: the document and its file (through
    the documents domain's repository, which owns those tables) and the recommendations
    it states."""

    async def recommendations(self, refs: Sequence[str]) -> dict[str, Recommendation]:
        if not refs:
            return {}
        result = await self.session.execute(
            select(Recommendation)
            .where(Recommendation.ref.in_(list(refs)))
            .execution_options(populate_existing=True)
        )
        return {r.ref: r for r in result.scalars().all()}

    async def recommendations_of(self, document_symbol: str) -> list[Recommendation]:
        result = await self.session.execute(
            select(Recommendation)
            .where(Recommendation.document_symbol == document_symbol)
            .execution_options(populate_existing=True)
        )
        return list(result.scalars().all())

    async def states_of(
        self, rec_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[str, str | None]]]:
        if not rec_ids:
            return {}
        result = await self.session.execute(
            select(
                RecommendingState.recommendation_id, RecommendingState.name, RecommendingState.iso3
            )
            .where(RecommendingState.recommendation_id.in_(list(rec_ids)))
            .order_by(RecommendingState.recommendation_id, RecommendingState.ordinal)
        )
        return lists_by_key(rec_ids, ((rec_id, (name, iso3)) for rec_id, name, iso3 in result))

    async def insert_recommendations(self, rows: Sequence[dict[str, Any]]) -> None:
        await RecommendationWrites(self.session).insert_many(rows)

    async def update_recommendation(self, rec_id: uuid.UUID, values: dict[str, Any]) -> None:
        """Apply changed values, bumping the version and ``updated_at``."""
        await RecommendationWrites(self.session).update(rec_id, values, live_only=False)

    # recommending_states and position_changes belong to recommendations: written there.
    async def replace_states(
        self, rec_id: uuid.UUID, states: Sequence[tuple[str, str | None]]
    ) -> None:
        await RelatedWrites(self.session).replace_states(rec_id, states)

    async def insert_states(
        self, per_rec: Sequence[tuple[uuid.UUID, Sequence[tuple[str, str | None]]]]
    ) -> None:
        await RelatedWrites(self.session).insert_states(per_rec)

    async def insert_position_changes(self, rows: Sequence[dict[str, Any]]) -> None:
        await RelatedWrites(self.session).insert_position_changes(rows)
