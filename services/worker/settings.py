"""arq worker settings. `followup worker` runs them; tests use BurstWorkerSettings."""

from __future__ import annotations

from typing import Any, ClassVar

from arq import func
from arq.cron import CronJob

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


FUNCTIONS: list[Any] = [
    func(ping, name=jobs.PING, max_tries=1, timeout=30),
]

CRON_JOBS: list[CronJob] = []


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


def settings_dict(*, cron: bool) -> dict[str, Any]:
    """WorkerSettings as arq's keyword arguments; without cron for burst runs, because a
    burst worker never ends while a cron job is always queued."""
    values = {k: v for k, v in vars(WorkerSettings).items() if not k.startswith("_")}
    if not cron:
        values["cron_jobs"] = []
    return values
