"""The periodic work of notifications: the reminder scan, the fan-out of outbox events to
webhook subscriptions, and the sweeper that re-queues what Redis lost."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.deadlines import service as deadlines
from shared.notifications.models import (
    DeliveryAttempt,
)
from shared.notifications.queueing import delivery_job_id, enqueue_deliveries
from shared.notifications.repository import NotificationRepository
from shared.queue import enqueue_after_commit
from shared.settings import Settings

# How long two scans overlap in time when looking for changed deadlines and
# subscriptions: transactions that committed late are still seen (duplicates are
# impossible anyway, thanks to the unique constraint).
SCAN_OVERLAP = dt.timedelta(minutes=10)
OUTBOX_BATCH = 500
SWEEP_LIMIT = 5000


# --- scan ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanResult:
    created: int
    missed: int
    watermark: dt.date
    today: dt.date


async def scan(session: AsyncSession, today: dt.date) -> ScanResult:
    """Create the reminders whose window opened since the last scan, in the caller's
    transaction, and ask for their delivery once it commits.

    Concurrent scans serialise on the watermark row; the unique constraint on
    (deadline, subscription, window) makes a repeated or overlapping scan create nothing.
    """
    repo = NotificationRepository(session)
    watermark, last_started = await repo.lock_scan_state(today)
    missed = await deadlines.mark_missed(session, today)
    since = (
        last_started - SCAN_OVERLAP
        if last_started is not None
        else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    )
    ids = await repo.create_due_reminders(watermark=watermark, today=today, since=since)
    await repo.save_scan_state(today)
    enqueue_deliveries(session, ids)
    return ScanResult(created=len(ids), missed=missed, watermark=watermark, today=today)


# --- outbox ----------------------------------------------------------------------------------


async def dispatch_outbox(session: AsyncSession) -> tuple[int, int]:
    """Fan undispatched outbox events out to matching webhook subscriptions as reminders
    (one per event and subscription); (events, reminders created)."""
    events, ids = await NotificationRepository(session).dispatch_outbox(OUTBOX_BATCH)
    enqueue_deliveries(session, [str(i) for i in ids])
    return events, len(ids)


# --- sweeper ---------------------------------------------------------------------------------


async def sweep(session: AsyncSession, settings: Settings, now: dt.datetime) -> dict[str, int]:
    """Recover from lost jobs and dead workers, from PostgreSQL state alone."""
    repo = NotificationRepository(session)
    stuck = await repo.release_stuck(
        dt.timedelta(seconds=settings.reminder_delivering_timeout_s),
        settings.reminder_max_attempts,
    )
    for row in stuck:
        repo.add_attempt(
            DeliveryAttempt(
                reminder_id=row.id,
                attempt=row.attempts,
                started_at=row.claimed_at,
                duration_ms=0,
                status_code=None,
                error="the worker stopped during delivery; outcome unknown",
                outcome="unknown",
            )
        )
    lost = await repo.lost_pending(
        dt.timedelta(seconds=settings.reminder_pending_grace_s), SWEEP_LIMIT
    )
    requeue = {r.id for r in stuck if r.status == "pending"} | set(lost)
    stamp = f":sweep:{int(now.timestamp())}"
    for reminder_id in requeue:
        enqueue_after_commit(
            session,
            jobs.DELIVER_REMINDER,
            str(reminder_id),
            job_id=delivery_job_id(reminder_id, stamp),
        )
    return {"released": len(stuck), "requeued": len(requeue)}
