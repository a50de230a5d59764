"""Overview figures for the public portal: States with their latest cycle and the share
of supported recommendations with a reported status; a State's statuses by cycle."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shared.portal.repository import PortalRepository
from shared.recommendations.models import STATUSES


class StateSummary(BaseModel):
    iso3: str
    latest_cycle: int | None
    total: int
    supported: int
    reported: int
    share_reported: float | None


class CycleStatus(BaseModel):
    cycle: int | None
    counts: dict[str, int]
    total: int


async def states(session: AsyncSession) -> list[StateSummary]:
    """Every State with recommendations, in ISO3 order."""
    return [
        StateSummary(
            iso3=r.iso3,
            latest_cycle=r.latest_cycle,
            total=int(r.total),
            supported=int(r.supported),
            reported=int(r.reported),
            share_reported=round(r.reported / r.supported, 4) if r.supported else None,
        )
        for r in await PortalRepository(session).states()
    ]


async def by_cycle(session: AsyncSession, country: str) -> list[CycleStatus]:
    """A State's recommendations by cycle and implementation status."""
    grouped: dict[int | None, dict[str, int]] = defaultdict(dict)
    for row in await PortalRepository(session).by_cycle(country):
        grouped[row.cycle][row.status] = int(row.n)
    return [
        CycleStatus(
            cycle=cycle,
            counts={s: counts.get(s, 0) for s in STATUSES},
            total=sum(counts.values()),
        )
        for cycle, counts in grouped.items()
    ]
