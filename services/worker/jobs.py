"""Job plumbing shared by every worker job: logging context and outcome counts."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import structlog
from arq import Retry

from shared.db import Database
from shared.queue import JobQueue, record_job_outcome
from shared.settings import Settings

log = structlog.get_logger(__name__)

Ctx = dict[str, Any]
R = TypeVar("R")


def db(ctx: Ctx) -> Database:
    database: Database = ctx["db"]
    return database


def queue(ctx: Ctx) -> JobQueue:
    q: JobQueue = ctx["queue"]
    return q


def settings_of(ctx: Ctx) -> Settings:
    """The settings the worker read at start-up."""
    settings: Settings = ctx["settings"]
    return settings


def job(fn: Callable[..., Awaitable[R]]) -> Callable[..., Coroutine[Any, Any, R]]:
    """Bind the job's name and id to every log line and count its outcome in Redis."""

    @functools.wraps(fn)
    async def wrapper(ctx: Ctx, *args: Any, **kwargs: Any) -> R:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            job=fn.__name__, job_id=ctx.get("job_id"), job_try=ctx.get("job_try")
        )
        outcome = "failed"
        try:
            result = await fn(ctx, *args, **kwargs)
            outcome = "ok"
            return result
        except Retry:
            outcome = "retried"
            raise
        finally:
            try:
                await record_job_outcome(queue(ctx), fn.__name__, outcome)
            except Exception as exc:  # counting must never fail a job
                log.warning("job_count_failed", error=str(exc)[:200])

    return wrapper


@job
async def ping(ctx: Ctx, value: str, work_s: float = 0.0) -> dict[str, Any]:
    """Round trip through Redis, the worker and PostgreSQL, for diagnostics.

    ``work_s`` (at most 60) simulates a job that takes time, to check graceful shutdown.
    """
    from sqlalchemy import text

    await asyncio.sleep(min(max(work_s, 0.0), 60.0))
    async with db(ctx).engine.connect() as conn:
        server_version = (await conn.execute(text("SHOW server_version"))).scalar_one()
    return {"echo": value, "postgres": server_version}
