"""Counts by facet (position, status, theme, SDG goal, recommending State, cycle) of the
recommendations a filter matches, cached per process under the snapshot they were
computed at (``freshness.SnapshotCache``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations.freshness import Cached, SnapshotCache
from shared.recommendations.repository import RecommendationRepository
from shared.recommendations.schemas import Facets, FacetValue, RecommendationFilter

# The API sends the facets as JSON, rendered once per change of the States the filter
# covers (a State's facets are hundreds of values, whose serialization cost more than the
# freshness check).
_FACETS_JSON: SnapshotCache[bytes] = SnapshotCache(maxsize=2048)


async def cached_facets_json(session: AsyncSession, f: RecommendationFilter) -> Cached[bytes]:
    """The counts by facet as the JSON document the API answers, computed once per change
    of the States the filter covers."""

    async def rendered() -> bytes:
        return (await count_facets(session, f)).model_dump_json().encode()

    return await _FACETS_JSON.over(session, f, f.countries, rendered)


async def count_facets(session: AsyncSession, f: RecommendationFilter) -> Facets:
    groups: dict[str, list[FacetValue]] = {
        "position": [],
        "status": [],
        "theme": [],
        "sdg_goal": [],
        "recommending_state": [],
        "cycle": [],
    }
    total = 0
    for facet, value, count in await RecommendationRepository(session).facets(f):
        if facet == "total":
            total = int(count)
        else:
            groups[facet].append(FacetValue(value=str(value), count=int(count)))
    for values in groups.values():
        values.sort(key=lambda v: (-v.count, v.value))
    return Facets(total=total, **groups)
