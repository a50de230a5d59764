"""All SQL of independent assessments."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select, text

from shared.assessments.models import Assessment
from shared.kernel.repository import Repository, keyset_page, where_equal, where_in
from shared.recommendations.writes import RecommendationWrites

# The latest assessment per recommendation and source (any organisation), and the
# government's own status, counted by status.
_STATS = text(
    """
    WITH recs AS (
        SELECT id, status FROM recommendations
        WHERE deleted_at IS NULL
          AND (CAST(:country AS text) IS NULL OR state_under_review = :country)
          AND (CAST(:cycle AS smallint) IS NULL OR cycle = :cycle)
    ), latest AS (
        SELECT DISTINCT ON (a.recommendation_id, a.source) a.source, a.status
        FROM assessments a JOIN recs ON recs.id = a.recommendation_id
        ORDER BY a.recommendation_id, a.source, a.assessed_on DESC, a.created_at DESC
    )
    SELECT 'government' AS source, status, count(*) AS n FROM recs GROUP BY status
    UNION ALL
    SELECT source, status, count(*) FROM latest GROUP BY source, status
    """
)


class AssessmentRepository(Repository[Assessment]):
    model = Assessment

    async def touch_recommendation(self, rec_id: uuid.UUID) -> None:
        """The recommendation's item shows its assessments: a new version (and ETag),
        and delta sync sees the change."""
        await RecommendationWrites(self.session).touch(rec_id)

    async def page(
        self,
        *,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
        recommendation_id: uuid.UUID | None = None,
        country: str | None = None,
        sources: Sequence[str] = (),
        statuses: Sequence[str] = (),
        organisation_id: uuid.UUID | None = None,
    ) -> Sequence[Assessment]:
        query = where_equal(
            select(Assessment),
            {
                Assessment.recommendation_id: recommendation_id,
                Assessment.country: country,
                Assessment.organisation_id: organisation_id,
            },
        )
        query = where_in(query, {Assessment.source: sources, Assessment.status: statuses})
        query = keyset_page(query, Assessment.created_at, Assessment.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    async def stats(self, country: str | None, cycle: int | None) -> list[tuple[str, str, int]]:
        rows = await self.session.execute(_STATS, {"country": country, "cycle": cycle})
        return [(r.source, r.status, int(r.n)) for r in rows]
