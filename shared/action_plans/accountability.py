"""Accountability figures of a State's action plans: actions by status, overdue, and per
institution and recommendation group."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans.repository import PlanRepository
from shared.action_plans.schemas import (
    Accountability,
    AccountabilityGroup,
    Share,
)
from shared.action_plans.service import today
from shared.institutions.service import country_code
from shared.kernel.shapes import shape_of

# --- accountability --------------------------------------------------------------------------


def _share(count: int, total: int) -> Share:
    return Share(count=count, share=round(count / total, 4) if total else None)


def _group(row: Row[Any]) -> AccountabilityGroup:
    supported = int(row.supported)
    return AccountabilityGroup(
        value=str(row.value),
        supported=supported,
        with_owner=_share(int(row.owned), supported),
        with_planned_action=_share(int(row.planned), supported),
        with_ongoing_or_completed_action=_share(int(row.moving), supported),
        overdue_actions=int(row.overdue),
    )


async def accountability(session: AsyncSession, country: str) -> Accountability:
    country = country_code(country)
    rows = await PlanRepository(session).accountability(country, today())
    total = next((_group(r) for r in rows if r.grouping == "total"), None)
    if total is None:
        total = AccountabilityGroup(
            value="",
            supported=0,
            with_owner=_share(0, 0),
            with_planned_action=_share(0, 0),
            with_ongoing_or_completed_action=_share(0, 0),
            overdue_actions=0,
        )
    themes = sorted(
        (_group(r) for r in rows if r.grouping == "theme"), key=lambda g: (-g.supported, g.value)
    )
    goals = sorted(
        (_group(r) for r in rows if r.grouping == "sdg_goal"), key=lambda g: int(g.value)
    )
    return shape_of(Accountability, total, country=country, by_theme=themes, by_sdg_goal=goals)
