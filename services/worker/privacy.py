"""Personal data retention: purge what was closed longer ago than the retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.worker.jobs import Ctx, db, job, settings_of
from shared.auth.schemas import WORKER
from shared.db import unit_of_work
from shared.privacy import service


@job
async def purge_personal_data(ctx: Ctx) -> dict[str, Any]:
    """Cron (nightly): delete e-mail subscriptions stopped more than
    PERSONAL_DATA_RETENTION_DAYS ago, scrub their addresses from the audit log, and run
    the purges other domains registered (closed memberships). Idempotent."""
    settings = settings_of(ctx)
    async with unit_of_work(db(ctx).sessionmaker, None) as session:
        out = await service.purge_expired(
            session, WORKER, dt.datetime.now(dt.UTC), settings.personal_data_retention_days
        )
    return out.model_dump()
