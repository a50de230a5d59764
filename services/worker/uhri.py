"""The UHRI import cron: download the export with a conditional GET, apply what changed.

Off when ``UHRI_EXPORT_URL`` is unset. The job is idempotent: running it twice imports an
unchanged export as "not modified" (304) or as all-unchanged records.
"""

from __future__ import annotations

from typing import Any

import structlog

from services.worker.cron import CronArgs, parse_schedule
from services.worker.jobs import Ctx, db, job
from shared.uhri import download, service
from shared.uhri.settings import UhriSettings, get_uhri_settings

log = structlog.get_logger(__name__)


@job
async def import_uhri(ctx: Ctx) -> dict[str, Any]:
    """Cron: import the UHRI export at ``UHRI_EXPORT_URL`` if it changed."""
    # Tests hand in their own; the worker reads the environment.
    settings: UhriSettings = ctx.get("uhri_settings") or get_uhri_settings()
    if not settings.export_url:
        return {"status": "disabled"}
    try:
        result = await download.import_url(
            db(ctx).sessionmaker, settings.export_url, trigger="cron", settings=settings
        )
    except service.UhriImportFailed as exc:
        # Recorded on the import row; the next scheduled run tries again.
        log.warning("uhri_import_failed", import_id=str(exc.import_id), error=exc.detail)
        return {"status": "failed", "import_id": str(exc.import_id), "error": exc.detail}
    counts = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "merged": result.merged,
        "tombstoned": result.tombstoned,
        "unmapped": result.unmapped,
    }
    log.info("uhri_import_done", import_id=str(result.id), status=result.status, **counts)
    return {
        "status": result.status,
        "import_id": str(result.id),
        "records": result.records,
        **counts,
    }


def cron_schedule(settings: UhriSettings | None = None) -> CronArgs | None:
    """``UHRI_CRON`` ("MINUTE HOUR", default "40 3") as arq cron arguments; None when the
    import is off (no ``UHRI_EXPORT_URL``, or ``UHRI_CRON=off``)."""
    settings = settings or get_uhri_settings()
    if not settings.export_url:
        return None
    return parse_schedule(settings.cron.strip(), setting="UHRI_CRON", example="40 3")
