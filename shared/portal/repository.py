"""SQL of the portal's overview figures (the rest of the portal reads through the
domains' own services)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

SUPPORTED = ("supported", "partially_supported")

# One pass over the live recommendations: per State, its latest cycle, how many it
# received, how many it supported and how many of those have a reported status.
_STATES = text(
    """
    SELECT state_under_review AS iso3,
           max(cycle) AS latest_cycle,
           count(*) AS total,
           count(*) FILTER (WHERE position = ANY(:supported)) AS supported,
           count(*) FILTER (
               WHERE position = ANY(:supported) AND status <> 'no_information'
           ) AS reported
    FROM recommendations
    WHERE deleted_at IS NULL
    GROUP BY state_under_review
    ORDER BY state_under_review
    """
)

_BY_CYCLE = text(
    """
    SELECT cycle, status, count(*) AS n
    FROM recommendations
    WHERE state_under_review = :country AND deleted_at IS NULL
    GROUP BY cycle, status
    ORDER BY cycle NULLS LAST, status
    """
)


class PortalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def states(self) -> Sequence[Row[Any]]:
        return (await self.session.execute(_STATES, {"supported": list(SUPPORTED)})).all()

    async def by_cycle(self, country: str) -> Sequence[Row[Any]]:
        return (await self.session.execute(_BY_CYCLE, {"country": country})).all()
