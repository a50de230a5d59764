"""Progress statistics: positions x statuses, shares implemented, trends from the history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from shared.recommendations.freshness import SnapshotCache
from shared.recommendations.models import STATUSES
from shared.recommendations.repository import StatsRepository

SUPPORTED = ("supported", "partially_supported")


class PositionStatusCount(BaseModel):
    position: str
    status: str
    count: int


class TagProgress(BaseModel):
    value: str
    total: int
    supported: int
    implemented: int
    share_implemented: float | None


class MonthStatus(BaseModel):
    month: str
    counts: dict[str, int]


class Progress(BaseModel):
    country: str | None
    cycle: int | None
    total: int
    supported: int
    by_position_status: list[PositionStatusCount]
    share_implemented: float | None
    share_implemented_or_partial: float | None
    by_theme: list[TagProgress]
    by_sdg_goal: list[TagProgress]
    over_time: list[MonthStatus]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


_PROGRESS: SnapshotCache[Progress] = SnapshotCache(maxsize=1024)


async def progress(session: AsyncSession, country: str | None, cycle: int | None) -> Progress:
    """The statistics, computed once per change of the State's recommendations (of any
    State's, without ``country``)."""
    cached = await _PROGRESS.over(
        session,
        (country, cycle),
        (country,) if country else (),
        lambda: compute_progress(session, country, cycle),
    )
    return cached.value


async def compute_progress(
    session: AsyncSession, country: str | None, cycle: int | None
) -> Progress:
    repo = StatsRepository(session)
    matrix = [
        PositionStatusCount(position=p, status=s, count=int(n))
        for p, s, n in await repo.position_status(country, cycle)
    ]
    total = sum(c.count for c in matrix)
    supported = [c for c in matrix if c.position in SUPPORTED]
    n_supported = sum(c.count for c in supported)
    implemented = sum(c.count for c in supported if c.status == "implemented")
    partial = sum(c.count for c in supported if c.status == "partially_implemented")

    def tags(rows: Sequence[Row[str, int, int, int]]) -> list[TagProgress]:
        return [
            TagProgress(
                value=str(value),
                total=int(n),
                supported=int(sup),
                implemented=int(impl),
                share_implemented=_share(int(impl), int(sup)),
            )
            for value, n, sup, impl in rows
        ]

    months: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for month, status, n in await repo.over_time(country, cycle):
        months[month][status] = int(n)
    over_time = []
    for month in sorted(months):
        counts = {s: months[month].get(s, 0) for s in STATUSES}
        counts["no_information"] += total - sum(months[month].values())
        over_time.append(MonthStatus(month=month.strftime("%Y-%m"), counts=counts))

    return Progress(
        country=country,
        cycle=cycle,
        total=total,
        supported=n_supported,
        by_position_status=matrix,
        share_implemented=_share(implemented, n_supported),
        share_implemented_or_partial=_share(implemented + partial, n_supported),
        by_theme=tags(await repo.by_tag("themes", country, cycle)),
        by_sdg_goal=tags(await repo.by_tag("sdg_goals", country, cycle)),
        over_time=over_time,
    )
