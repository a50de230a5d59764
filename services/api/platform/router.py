"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from services.api.metrics import JOBS, QUEUE_DEPTH, REGISTRY
from services.api.problems import problem_response
from shared.db import Database
from shared.queue import JobQueue, job_counts, queue_depth

router = APIRouter(tags=["platform"])

_CHECK_TIMEOUT = 2.0


@router.get("/healthz", summary="Liveness")
async def check_liveness() -> dict[str, str]:
    """The process is up and serving. It does not look at the database or Redis."""
    return {"status": "ok"}


async def _database_ok(db: Database) -> bool:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT), db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


async def _redis_ok(queue: JobQueue) -> bool:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            return await queue.ping()
    except Exception:
        return False


@router.get(
    "/readyz",
    summary="Readiness",
)
async def check_readiness(request: Request) -> Response:
    """200 when PostgreSQL and Redis both answer; otherwise 503 naming what is down."""
    database, redis = await asyncio.gather(
        _database_ok(request.app.state.db), _redis_ok(request.app.state.queue)
    )
    down = [name for name, ok in (("database", database), ("redis", redis)) if not ok]
    if down:
        return problem_response(
            request,
            503,
            code="not_ready",
            title="Not ready",
            detail=f"unreachable: {', '.join(down)}",
        )
    return Response(
        b'{"status":"ready","database":"ok","redis":"ok"}', media_type="application/json"
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def get_metrics(request: Request) -> Response:
    """Request counts and latency by route, queue depth and worker job counts."""
    queue: JobQueue = request.app.state.queue
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT):
            QUEUE_DEPTH.set(await queue_depth(queue))
            for (job, outcome), count in (await job_counts(queue)).items():
                JOBS.labels(job, outcome).set(count)
    except Exception:
        QUEUE_DEPTH.set(float("nan"))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
