"""Reminder jobs: the scan (cron), the sweeper (cron), delivery, outbox dispatch and the
recomputation of derived deadlines. PostgreSQL holds every state; Redis only carries
the jobs, and the sweeper re-creates any job Redis lost."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import structlog
from arq.constants import expires_extra_ms, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job

from services.worker.jobs import Ctx, db, job, queue, settings_of
from shared import jobs
from shared.db import unit_of_work
from shared.deadlines import service as deadlines
from shared.notifications import delivery as sending
from shared.notifications import delivery_states, periodic, queueing

log = structlog.get_logger(__name__)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@job
async def scan_reminders(ctx: Ctx) -> dict[str, Any]:
    """Create the reminders of every window that opened since the last scan."""
    async with unit_of_work(db(ctx).sessionmaker, queue(ctx)) as session:
        result = await periodic.scan(session, _today())
    log.info("reminder_scan", created=result.created, missed=result.missed)
    return {"created": result.created, "missed": result.missed}


@job
async def sweep_reminders(ctx: Ctx) -> dict[str, int]:
    """Re-enqueue reminders whose job was lost and resend those a dead worker left
    'delivering'; dispatch outbox events whose job was lost."""
    async with unit_of_work(db(ctx).sessionmaker, queue(ctx)) as session:
        counts = await periodic.sweep(session, settings_of(ctx), dt.datetime.now(dt.UTC))
    events = await _dispatch_all(ctx)
    return {**counts, "events": events}


# Queue one delivery job per id unless a job with that id is queued or its result kept:
# arq's enqueue_job rule, atomic per job, for a whole batch in one round trip.
_FAN_OUT = """
local queue, expires, score, job_prefix, result_prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local queued = 0
for i = 6, #ARGV, 2 do
    local job_key = job_prefix .. ARGV[i]
    if redis.call('EXISTS', job_key, result_prefix .. ARGV[i]) == 0 then
        redis.call('PSETEX', job_key, expires, ARGV[i + 1])
        redis.call('ZADD', queue, score, ARGV[i])
        queued = queued + 1
    end
end
return queued
"""


async def fan_out(ctx: Ctx, reminder_ids: tuple[str, ...]) -> int:
    """Queue ``deliver_reminder(id)`` for each id with job id ``reminder:<id>``, as
    ``enqueue_job`` would, but pipelined; returns how many were queued."""
    redis = queue(ctx).redis
    now_ms = int(time.time() * 1000)
    argv: list[str | bytes | int] = [
        redis.default_queue_name,
        expires_extra_ms,
        now_ms,
        job_key_prefix,
        result_key_prefix,
    ]
    for reminder_id in reminder_ids:
        argv.append(queueing.delivery_job_id(reminder_id))
        argv.append(
            serialize_job(
                jobs.DELIVER_REMINDER,
                (reminder_id,),
                {},
                None,
                now_ms,
                serializer=redis.job_serializer,
            )
        )
    queued = await redis.register_script(_FAN_OUT)(args=argv)
    return int(queued)


@job
async def deliver_reminder(ctx: Ctx, reminder_id: str, *more: str) -> str:
    """Send one reminder: claim it (committed), send, then record the outcome.

    With several ids (a batch from the scan or the outbox), queue one delivery job per
    reminder instead, so that each is delivered, timed out and logged on its own.
    """
    if more:
        queued = await fan_out(ctx, (reminder_id, *more))
        log.info("reminder_batch", reminders=1 + len(more), queued=queued)
        return "fanned_out"
    settings = settings_of(ctx)
    async with unit_of_work(db(ctx).sessionmaker, queue(ctx)) as session:
        delivery = await delivery_states.claim(session, uuid.UUID(reminder_id), settings, _today())
    if delivery is None:
        return "skipped"
    started_at = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    outcome = await sending.send(delivery, settings)
    duration_ms = int((time.perf_counter() - t0) * 1000)
    async with unit_of_work(db(ctx).sessionmaker, queue(ctx)) as session:
        status = await delivery_states.finish(
            session,
            delivery,
            outcome,
            started_at=started_at,
            duration_ms=duration_ms,
            settings=settings,
        )
    log.info(
        "reminder_delivery",
        reminder=reminder_id,
        attempt=delivery.attempt,
        status=status,
        status_code=outcome.status_code,
        error=outcome.error,
    )
    return status


async def _dispatch_all(ctx: Ctx) -> int:
    total = 0
    while True:
        async with unit_of_work(db(ctx).sessionmaker, queue(ctx)) as session:
            events, _ = await periodic.dispatch_outbox(session)
        total += events
        if events < periodic.OUTBOX_BATCH:
            return total


@job
async def dispatch_outbox(ctx: Ctx) -> int:
    """Fan change events out to the webhook subscriptions that chose them."""
    return await _dispatch_all(ctx)


@job
async def recompute_deadlines(ctx: Ctx) -> int:
    """Recompute every derived deadline (idempotent; a safety net for missed triggers)."""
    changed, after = 0, None
    while True:
        async with unit_of_work(db(ctx).sessionmaker, queue(ctx)) as session:
            count, after = await deadlines.recompute_batch(session, after)
        changed += count
        if after is None:
            return changed
