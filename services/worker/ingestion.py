"""Ingestion jobs: the scheduled pass over the sources, one job per document, the sweeper."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import structlog

from services.worker.jobs import Ctx, db, job, queue
from shared.ingestion import pipeline
from shared.settings import Settings, get_settings

log = structlog.get_logger(__name__)


def _settings(ctx: Ctx) -> Settings:
    settings: Settings = ctx.get("settings") or get_settings()
    return settings


@job
async def ingest_sources(ctx: Ctx) -> dict[str, Any]:
    """Cron: a run over the configured sources, one ``ingest_document`` job per document."""
    settings = _settings(ctx)
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
        db(ctx), queue(ctx), _settings(ctx), uuid.UUID(run_id), enqueue=True
    )
    return {"run_id": run_id, "items": len(items)}


@job
async def ingest_document(ctx: Ctx, item_id: str) -> dict[str, Any]:
    """Fetch (for a URL) and ingest one document of a run; idempotent."""
    outcome = await pipeline.process_item(
        db(ctx), _settings(ctx), uuid.UUID(item_id), queue=queue(ctx)
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


def _field(value: str, upper: int) -> int | set[int] | None:
    """One cron field: ``*``, ``*/n``, ``a,b,c`` or a number (arq's minute/hour values)."""
    value = value.strip()
    if value == "*":
        return None
    if value.startswith("*/"):
        step = int(value[2:])
        if step < 1:
            raise ValueError(value)
        return set(range(0, upper, step))
    numbers = {int(v) for v in value.split(",")}
    if any(not 0 <= n < upper for n in numbers):
        raise ValueError(value)
    return numbers


def cron_schedule(spec: str) -> dict[str, int | set[int] | None] | None:
    """INGEST_CRON ("MINUTE HOUR", e.g. "17 */6") as arq cron arguments; None for "off"."""
    if spec.strip().lower() in ("off", "none", ""):
        return None
    parts = spec.split()
    if len(parts) != 2:
        raise ValueError(
            f"INGEST_CRON must be 'MINUTE HOUR' (e.g. '17 */6') or 'off', not {spec!r}"
        )
    try:
        return {"minute": _field(parts[0], 60), "hour": _field(parts[1], 24)}
    except ValueError:
        raise ValueError(f"INGEST_CRON {spec!r}: use *, */n, a,b or numbers") from None
