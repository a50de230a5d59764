"""arq worker settings. `followup worker` runs them; tests use BurstWorkerSettings."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Unpack

from arq import func
from arq.cron import CronJob, cron
from arq.worker import Function

import shared.models  # noqa: F401  (every mapped table, so foreign keys resolve)
from services.worker import ingestion, privacy, reminders, reports, review, uhri
from services.worker.cron import CronArgs
from services.worker.jobs import Ctx, ping
from shared import jobs
from shared.db import Database
from shared.logs import configure_logging
from shared.queue import JobQueue, redis_settings
from shared.settings import get_settings

_settings = get_settings()


async def startup(ctx: Ctx) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    ctx["settings"] = settings
    ctx["db"] = Database(settings)
    ctx["queue"] = JobQueue(ctx["redis"])


async def shutdown(ctx: Ctx) -> None:
    await ctx["db"].dispose()


FUNCTIONS: list[Function] = [
    func(ping, name=jobs.PING, max_tries=1, timeout=30),
    func(ingestion.ingest_sources, name=jobs.INGEST_SOURCES, max_tries=1, timeout=300),
    func(ingestion.ingestion_list_run, name=jobs.INGESTION_LIST_RUN, max_tries=3, timeout=300),
    func(ingestion.ingest_document, name=jobs.INGEST_DOCUMENT, max_tries=3, timeout=600),
    func(ingestion.ingestion_sweep, name=jobs.INGESTION_SWEEP, max_tries=1, timeout=120),
    func(uhri.import_uhri, name=jobs.IMPORT_UHRI, max_tries=1, timeout=3 * 3600),
    func(reminders.scan_reminders, name=jobs.SCAN_REMINDERS, max_tries=1, timeout=300),
    func(reminders.sweep_reminders, name=jobs.SWEEP_REMINDERS, max_tries=1, timeout=120),
    # Retries are rows with next_attempt_at (shared/notifications/delivery_states.py), not arq's.
    func(reminders.deliver_reminder, name=jobs.DELIVER_REMINDER, max_tries=1, timeout=120),
    func(reminders.dispatch_outbox, name=jobs.DISPATCH_OUTBOX, max_tries=1, timeout=120),
    func(reminders.recompute_deadlines, name=jobs.RECOMPUTE_DEADLINES, max_tries=1, timeout=3600),
    # A failed report waits for an explicit retry (POST /v1/reports/{id}/retry).
    func(reports.generate_report, name=jobs.GENERATE_REPORT, max_tries=1, timeout=600),
    func(reports.sweep_reports, name=jobs.SWEEP_REPORTS, max_tries=1, timeout=120),
    func(privacy.purge_personal_data, name=jobs.PURGE_PERSONAL_DATA, max_tries=1, timeout=600),
    func(review.review_reminders, name=jobs.REVIEW_REMINDERS, max_tries=1, timeout=600),
]


_REGISTERED = {f.name: f for f in FUNCTIONS}


def _cron(job_name: str, *, run_at_startup: bool = False, **schedule: Unpack[CronArgs]) -> CronJob:
    """The job registered as ``job_name``, on a schedule: named ``cron:<name>``, with the
    job's own timeout, never queued twice at once."""
    function = _REGISTERED[job_name]
    return cron(
        function.coroutine,
        name=f"cron:{job_name}",
        unique=True,
        timeout=function.timeout_s,
        run_at_startup=run_at_startup,
        **schedule,
    )


CRON_JOBS: list[CronJob] = [
    _cron(jobs.INGESTION_SWEEP, minute=set(range(3, 60, 5))),
    # Reminders: scan every 5 minutes, sweep every minute, recompute deadlines nightly.
    _cron(jobs.SCAN_REMINDERS, minute=set(range(1, 60, 5))),
    _cron(jobs.SWEEP_REMINDERS),
    _cron(jobs.SWEEP_REPORTS, minute=set(range(2, 60, 5))),
    _cron(jobs.PURGE_PERSONAL_DATA, hour={3}, minute={25}),
    _cron(jobs.RECOMPUTE_DEADLINES, hour={2}, minute={10}),
    # Review reminders: every morning (UTC).
    _cron(jobs.REVIEW_REMINDERS, hour={6}, minute={7}),
]
_ingest_schedule = ingestion.cron_schedule(_settings.ingest_cron)
if _ingest_schedule is not None:
    # run_at_startup: `make run` ingests its sources as soon as the worker is up.
    CRON_JOBS.append(_cron(jobs.INGEST_SOURCES, run_at_startup=True, **_ingest_schedule))

_uhri_schedule = uhri.cron_schedule()
if _uhri_schedule is not None:
    CRON_JOBS.append(_cron(jobs.IMPORT_UHRI, **_uhri_schedule))


class WorkerSettings:
    functions: ClassVar[list[Any]] = FUNCTIONS
    cron_jobs: ClassVar[list[CronJob]] = CRON_JOBS
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = redis_settings(_settings.redis_url)
    # arq's defaults (5 tries, 300 s, hourly health check) do not fit: jobs set their own
    # tries, and a 30 s health check lets `followup worker-health` notice a dead worker.
    max_tries = 3
    job_timeout = 600
    health_check_interval = 30
    keep_result = 3600
    max_jobs = 10
    allow_abort_jobs = True
    # On SIGTERM, running jobs get this long to finish before they are cancelled (and,
    # being idempotent, retried by another worker).
    job_completion_wait = 120
    timezone = dt.UTC


def settings_dict(*, cron: bool) -> dict[str, Any]:
    """WorkerSettings as arq's keyword arguments; without cron for burst runs, because a
    burst worker never ends while a cron job is always queued."""
    values = {k: v for k, v in vars(WorkerSettings).items() if not k.startswith("_")}
    if not cron:
        values["cron_jobs"] = []
    return values
