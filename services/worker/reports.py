"""Report drafts: build the Word document of a report; re-queue what Redis lost."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.worker.jobs import Ctx, db, job, queue
from shared.db import unit_of_work
from shared.reports import service


@job
async def generate_report(ctx: Ctx, report_id: str) -> dict[str, Any]:
    """Build the .docx of a queued report. A failure is recorded on the report (status
    ``failed`` with its reason) and is retried only on request (POST .../retry)."""
    outcome = await service.generate(
        db(ctx).sessionmaker, uuid.UUID(report_id), dt.datetime.now(dt.UTC).date()
    )
    return {
        "report_id": report_id,
        "status": outcome.status,
        "recommendations": outcome.recommendations,
        "size": outcome.size,
        "error": outcome.error,
    }


@job
async def sweep_reports(ctx: Ctx) -> dict[str, int]:
    """Cron: queue again the reports whose job Redis lost or whose worker died."""
    async with unit_of_work(db(ctx).sessionmaker, queue(ctx)) as session:
        count = await service.sweep(session, dt.datetime.now(dt.UTC))
    return {"requeued": count}
