"""Ingestion jobs: the scheduled pass over the sources, one job per document, the sweeper."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.worker.cron import CronArgs, parse_schedule
from services.worker.jobs import Ctx, db, job, queue, settings_of
from shared.ingestion import pipeline


@job
async def ingest_sources(ctx: Ctx) -> dict[str, Any]:
    """Cron: a run over the configured sources, one ``ingest_document`` job per document."""
    settings = settings_of(ctx)
    if not settings.ingest_sources:
        return {"run_id": None, "items": 0}
    run_id = await pipeline.start_scheduled_run(
        db(ctx), sources=settings.ingest_sources, not_within=dt.timedelta(minutes=10)
    )
    if run_id is None:
        return {"run_id": None, "items": 0, "skipped": "a scheduled run started recently"}
    items = await pipeline.list_run(db(ctx), queue(ctx), settings, run_id, enqueue=True)
    return {"run_id": str(run_id), "items": len(items)}


@job
async def ingestion_list_run(ctx: Ctx, run_id: str) -> dict[str, Any]:
    """List a run's sources (a run started over HTTP) and queue its documents."""
    items = await pipeline.list_run(
        db(ctx), queue(ctx), settings_of(ctx), uuid.UUID(run_id), enqueue=True
    )
    return {"run_id": run_id, "items": len(items)}


@job
async def ingest_document(ctx: Ctx, item_id: str) -> dict[str, Any]:
    """Fetch (for a URL) and ingest one document of a run; idempotent."""
    outcome = await pipeline.process_item(
        db(ctx), settings_of(ctx), uuid.UUID(item_id), queue=queue(ctx)
    )
    if outcome is None:
        return {"item_id": item_id, "status": "already done"}
    return {
        "item_id": item_id,
        "status": outcome.status,
        "symbol": outcome.symbol,
        "created": outcome.created,
        "updated": outcome.updated,
        "error": outcome.error,
    }


@job
async def ingestion_sweep(ctx: Ctx) -> dict[str, int]:
    """Cron: re-queue documents and listings whose jobs Redis lost."""
    return await pipeline.sweep(db(ctx), queue(ctx))


def cron_schedule(spec: str) -> CronArgs | None:
    """INGEST_CRON ("MINUTE HOUR", e.g. "17 */6") as arq cron arguments; None for "off"."""
    return parse_schedule(spec, setting="INGEST_CRON", example="17 */6")
