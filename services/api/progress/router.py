"""Progress statistics of recommendations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.api.deps import Reader, ReadSession
from shared.kernel import validation
from shared.recommendations import stats

router = APIRouter(prefix="/v1/stats", tags=["stats"])


@router.get("/progress", response_model=stats.Progress, summary="Implementation progress")
async def get_progress_stats(
    session: ReadSession,
    _reader: Reader,
    country: Annotated[str | None, Query(description="State under review, ISO3")] = None,
    cycle: Annotated[int | None, Query(ge=1, le=20)] = None,
) -> stats.Progress:
    """Counts by position x status; the share of supported recommendations implemented
    (and implemented or partially); the same by theme and SDG goal; and the status of
    the recommendations month by month, from their implementation history."""
    problems = validation.Problems("query")
    codes = validation.countries([country] if country else [], "country", problems)
    problems.raise_if_any()
    return await stats.progress(session, codes[0] if codes else None, cycle)
