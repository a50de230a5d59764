"""The job queue (arq on Redis), behind one module so that a later move stays cheap.

PostgreSQL is the source of truth; Redis is only a transport. Jobs created inside a
unit of work are queued on the session and pushed once its transaction has committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, cast

import structlog
from arq.connections import ArqRedis, RedisSettings, create_pool
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)

_PENDING_KEY = "followup.pending_jobs"


@dataclass(frozen=True, slots=True)
class JobRequest:
    name: str
    args: tuple[Any, ...] = ()
    job_id: str | None = None
    defer_by: dt.timedelta | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 1
    return settings


class JobQueue:
    """Enqueues jobs by name on the arq queue."""

    def __init__(self, redis: ArqRedis) -> None:
        self.redis = redis

    @classmethod
    async def connect(cls, url: str) -> JobQueue:
        return cls(await create_pool(redis_settings(url)))

    async def enqueue(self, job: JobRequest) -> bool:
        """Push one job; False when a job with the same id is already queued or kept."""
        result = await self.redis.enqueue_job(
            job.name, *job.args, _job_id=job.job_id, _defer_by=job.defer_by, **job.kwargs
        )
        return result is not None

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def close(self) -> None:
        await self.redis.aclose()


def enqueue_after_commit(
    session: AsyncSession,
    name: str,
    *args: Any,
    job_id: str | None = None,
    defer_by: dt.timedelta | None = None,
) -> None:
    """Ask for a job to be queued once the session's transaction commits."""
    session.info.setdefault(_PENDING_KEY, []).append(
        JobRequest(name=name, args=args, job_id=job_id, defer_by=defer_by)
    )


def pending_jobs(session: AsyncSession) -> list[JobRequest]:
    return list(session.info.get(_PENDING_KEY, []))


def discard_pending_jobs(session: AsyncSession) -> None:
    session.info.pop(_PENDING_KEY, None)


async def flush_pending_jobs(session: AsyncSession, queue: JobQueue | None) -> None:
    """Push the jobs queued on a committed session.

    A failure here loses nothing: every job's work is also recorded in PostgreSQL and a
    periodic sweep re-enqueues what never ran.
    """
    jobs: list[JobRequest] = session.info.pop(_PENDING_KEY, [])
    if not jobs or queue is None:
        return
    for job in jobs:
        try:
            await queue.enqueue(job)
        except Exception as exc:  # Redis down: the sweeper recovers the work from PostgreSQL
            log.warning("enqueue_failed", job=job.name, job_id=job.job_id, error=str(exc))


JOB_COUNTS_KEY = "followup:job_counts"
QUEUE_NAME = "arq:queue"


async def record_job_outcome(queue: JobQueue, name: str, outcome: str) -> None:
    """Count a finished job in Redis, so that every API replica reports the same totals."""
    await cast(Awaitable[int], queue.redis.hincrby(JOB_COUNTS_KEY, f"{name}:{outcome}", 1))


async def job_counts(queue: JobQueue) -> dict[tuple[str, str], int]:
    raw = await cast(Awaitable[dict[bytes, bytes]], queue.redis.hgetall(JOB_COUNTS_KEY))
    counts: dict[tuple[str, str], int] = {}
    for field_, value in raw.items():
        name, _, outcome = field_.decode().rpartition(":")
        counts[(name, outcome)] = int(value)
    return counts


async def queue_depth(queue: JobQueue) -> int:
    return int(await queue.redis.zcard(QUEUE_NAME))


def connect_queue(url: str) -> JobQueue:
    """A queue client that connects on first use, so a process can start while Redis is down."""
    redis = ArqRedis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return JobQueue(redis)
