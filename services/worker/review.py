"""The daily reminders of the review workflow (shared/review): `review.reminder` change
events, delivered to subscribed webhooks like every change event."""

from __future__ import annotations

import datetime as dt

import structlog

from services.worker.jobs import Ctx, db, job, queue, settings_of
from shared.db import unit_of_work
from shared.review import service

log = structlog.get_logger(__name__)


@job
async def review_reminders(ctx: Ctx) -> dict[str, int]:
    """Idempotent: each reminder carries a key, emitted at most once a day (a week for
    recommendations with no update)."""
    settings = settings_of(ctx)
    async with unit_of_work(db(ctx).sessionmaker, queue(ctx)) as session:
        counts = await service.remind(
            session, waiting_days=settings.review_reminder_days, now=dt.datetime.now(dt.UTC)
        )
    log.info("review_reminders", **counts)
    return counts
