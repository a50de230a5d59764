"""Statistics (`/v1/stats/*`): implementation progress of recommendations, the
accountability of a State's action plans, the programme coverage of a State."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from services.api import edge
from services.api.deps import Reader, ReadSession
from shared.action_plans import accountability as accountability_figures
from shared.action_plans.schemas import Accountability
from shared.recommendations import stats
from shared.stats.coverage import Coverage, coverage

router = APIRouter(prefix="/v1/stats", tags=["stats"])
routes = edge.Routes(router)


@routes.read("/coverage", Coverage, "Programme coverage of a country")
async def get_coverage_stats(
    session: ReadSession,
    _reader: Reader,
    country: Annotated[str, Query(description="ISO3")],
    on: Annotated[dt.date | None, Query(description="day programmes are active (today)")] = None,
    uncovered_limit: Annotated[
        int, Query(ge=0, le=5000, description="how many uncovered recommendations to list")
    ] = 500,
) -> Coverage:
    """How many supported (and partially supported) recommendations of a country at
    least one active programme supports, overall, by theme and by SDG goal, and which
    are not covered (in the order of the recommendation lists)."""
    (code,) = edge.country_codes([country])
    return await coverage(session, code, on=on or dt.date.today(), uncovered_limit=uncovered_limit)


@routes.read("/progress", stats.Progress, "Implementation progress")
async def get_progress_stats(
    session: ReadSession,
    _reader: Reader,
    country: Annotated[str | None, Query(description="State under review, ISO3")] = None,
    cycle: edge.CycleParam = None,
) -> stats.Progress:
    """Counts by position x status; the share of supported recommendations implemented
    (and implemented or partially); the same by theme and SDG goal; and the status of
    the recommendations month by month, from their implementation history."""
    return await stats.progress(session, edge.country_code(country), cycle)


@routes.read(
    "/accountability", Accountability, "Accountability of a State's supported recommendations"
)
async def get_accountability_stats(
    session: ReadSession,
    _reader: Reader,
    country: Annotated[str, Query(min_length=1, max_length=3, description="ISO3")],
) -> Accountability:
    """Of the State's supported recommendations: how many have an owner institution, at
    least one action (not cancelled), and an ongoing or completed action; the State's
    overdue actions (due date passed, still planned, ongoing or delayed); the same by
    UHRI theme and SDG goal (overdue actions counted through their recommendations)."""
    return await accountability_figures.accountability(session, country)
