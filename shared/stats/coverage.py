"""Coverage: which supported recommendations of a country at least one active programme
supports (through a link), overall, by theme and by SDG goal, and which none does."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

SUPPORTED = ("supported", "partially_supported")

# One row per supported recommendation of the country; the EXISTS is served by the
# link table's (recommendation_id, programme_id) index and the programme's primary key.
_SQL = text(
    """
    SELECT r.id, r.ref, r.themes, r.sdg_goals,
           EXISTS (
               SELECT 1 FROM programme_recommendations pr
               JOIN programmes p ON p.id = pr.programme_id
               WHERE pr.recommendation_id = r.id
                 AND p.start_date <= :on AND p.end_date >= :on
           ) AS covered
    FROM recommendations r
    WHERE r.state_under_review = :country
      AND r.position = ANY(:positions)
      AND r.deleted_at IS NULL
    ORDER BY r.state_under_review, r.document_date, r.paragraph_key, r.id
    """
)


class CoverageCount(BaseModel):
    supported: int
    covered: int
    uncovered: int
    ratio: float | None


class ThemeCoverage(CoverageCount):
    theme: str


class GoalCoverage(CoverageCount):
    sdg_goal: int


class UncoveredRecommendation(BaseModel):
    id: uuid.UUID
    ref: str


class Coverage(BaseModel):
    country: str
    on: dt.date
    positions: list[str]
    overall: CoverageCount
    by_theme: list[ThemeCoverage]
    by_sdg_goal: list[GoalCoverage]
    uncovered: list[UncoveredRecommendation]
    uncovered_truncated: bool


def _count(supported: int, covered: int) -> dict[str, int | float | None]:
    return {
        "supported": supported,
        "covered": covered,
        "uncovered": supported - covered,
        "ratio": round(covered / supported, 4) if supported else None,
    }


async def coverage(
    session: AsyncSession, country: str, *, on: dt.date, uncovered_limit: int
) -> Coverage:
    """Supported and partially supported recommendations of ``country`` covered by a
    programme running on ``on`` (start <= on <= end)."""
    rows = (
        await session.execute(_SQL, {"country": country, "positions": list(SUPPORTED), "on": on})
    ).all()
    theme_all: Counter[str] = Counter()
    theme_cov: Counter[str] = Counter()
    goal_all: Counter[int] = Counter()
    goal_cov: Counter[int] = Counter()
    uncovered: list[UncoveredRecommendation] = []
    covered = 0
    for row in rows:
        covered += bool(row.covered)
        for theme in set(row.themes):
            theme_all[theme] += 1
            theme_cov[theme] += bool(row.covered)
        for goal in set(row.sdg_goals):
            goal_all[goal] += 1
            goal_cov[goal] += bool(row.covered)
        if not row.covered:
            uncovered.append(UncoveredRecommendation(id=row.id, ref=row.ref))
    return Coverage(
        country=country,
        on=on,
        positions=list(SUPPORTED),
        overall=CoverageCount.model_validate(_count(len(rows), covered)),
        by_theme=[
            ThemeCoverage(theme=t, **_count(n, theme_cov[t]))
            for t, n in sorted(theme_all.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        by_sdg_goal=[
            GoalCoverage(sdg_goal=g, **_count(n, goal_cov[g])) for g, n in sorted(goal_all.items())
        ],
        uncovered=uncovered[:uncovered_limit],
        uncovered_truncated=len(uncovered) > uncovered_limit,
    )
