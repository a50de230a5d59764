"""All SQL of the spreadsheet round trip."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations import queries
from shared.recommendations.schemas import RecommendationFilter
from shared.review.repository import ReportRepository

ASSESSMENT_SOURCES = ["nhri", "civil_society"]

# The government's newest update of each recommendation: what the sheet shows and what an
# edited row is compared with.
_LATEST = (
    "SELECT DISTINCT ON (u.recommendation_id) u.recommendation_id, u.status, u.narrative,"
    " u.evidence_links, u.reported_on, u.author FROM implementation_updates u"
    " WHERE u.recommendation_id = ANY(:ids) AND u.source <> ALL(:assessment_sources)"
    " ORDER BY u.recommendation_id, u.created_at DESC, u.id DESC"
)


class SpreadsheetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def export_rows(self, f: RecommendationFilter) -> Sequence[Any]:
        w = queries.where(f)
        sql = (
            "SELECT r.id, r.ref, r.document_symbol, r.paragraph, r.mechanism, r.text, r.cycle,"
            " coalesce((SELECT string_agg(s.name, '; ' ORDER BY s.ordinal)"
            " FROM recommending_states s WHERE s.recommendation_id = r.id), '') AS states,"
            " r.position, array_to_string(r.themes, '; ') AS themes,"
            " array_to_string(r.institutions, '; ') AS owner, r.status"
            f" FROM {queries.search_from(w)} WHERE {w.sql()}"
            f" ORDER BY r.cycle NULLS LAST, {queries.ORDER_NATURAL}"
        )
        return (await self.session.execute(text(sql), w.params)).all()

    async def latest(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
        rows = await self.session.execute(
            text(_LATEST), {"ids": list(ids), "assessment_sources": ASSESSMENT_SOURCES}
        )
        return {r.recommendation_id: r for r in rows}

    async def counts(self, countries: Sequence[str]) -> dict[tuple[str, int | None], int]:
        """Recommendations by (State, cycle), for naming what an empty export lacks."""
        rows = await self.session.execute(
            text(
                "SELECT state_under_review, cycle, count(*) FROM recommendations"
                " WHERE deleted_at IS NULL AND state_under_review = ANY(:countries)"
                " GROUP BY 1, 2"
            ),
            {"countries": list(countries)},
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def lock(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """The live recommendations among ``ids``, locked in id order (no deadlock between
        two imports) for the rest of the transaction."""
        rows = await self.session.execute(
            text(
                "SELECT id, ref, state_under_review, position, status FROM recommendations"
                " WHERE id = ANY(:ids) AND deleted_at IS NULL ORDER BY id FOR UPDATE"
            ),
            {"ids": list(ids)},
        )
        return {r.id: r for r in rows}

    async def open_drafts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
        """The progress reports still under review (draft or submitted) of each
        recommendation: an edited row equal to one of them is not new."""
        rows = await self.session.execute(
            text(
                "SELECT recommendation_id, status, narrative, evidence_links"
                " FROM progress_reports WHERE recommendation_id = ANY(:ids)"
                " AND state IN ('draft', 'submitted')"
            ),
            {"ids": list(ids)},
        )
        out: dict[uuid.UUID, list[Any]] = {}
        for r in rows:
            out.setdefault(r.recommendation_id, []).append(r)
        return out

    async def add_drafts(self, rows: Sequence[dict[str, Any]]) -> None:
        # progress_reports belong to the review workflow: written by its repository.
        await ReportRepository(self.session).insert_drafts(rows)
