"""Statistics across recommendations and the programmes that support them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import Reader, ReadSession
from shared.kernel import validation
from shared.stats.coverage import Coverage, coverage

router = APIRouter(prefix="/v1/stats", tags=["stats"])


@router.get("/coverage", response_model=Coverage, summary="Programme coverage of a country")
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
    problems = validation.Problems("query")
    codes = validation.countries([country], "country", problems)
    problems.raise_if_any()
    return await coverage(
        session, codes[0], on=on or dt.date.today(), uncovered_limit=uncovered_limit
    )
