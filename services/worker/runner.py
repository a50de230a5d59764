"""Start the arq worker, and check its health from outside."""

from __future__ import annotations

import asyncio

from arq.worker import async_check_health, run_worker

from services.worker.settings import WorkerSettings, settings_dict


def run(*, burst: bool = False) -> None:
    run_worker(settings_dict(cron=not burst), burst=burst)


def check_health() -> int:
    return asyncio.run(async_check_health(WorkerSettings.redis_settings))
