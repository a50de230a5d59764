"""Delivery jobs of reminders: their ids, and how new reminders are queued after the
commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.queue import enqueue_after_commit

# Reminders created together (a scan, an outbox batch) are queued by batches of this
# many: one job per batch, which the worker fans out into one delivery job per reminder
# (services/worker/reminders.py), pipelined. Queueing 150k jobs one by one after the
# commit takes minutes; 150 batch jobs take a fraction of a second.
DELIVERY_BATCH = 1000


def delivery_job_id(reminder_id: uuid.UUID | str, suffix: str = "") -> str:
    return f"reminder:{reminder_id}{suffix}"


def delivery_batch_job_id(reminder_ids: Sequence[str]) -> str:
    """Deterministic (a reminder is created once, so its id starts one batch at most);
    the reminders keep their own ``reminder:<id>`` job ids when fanned out."""
    return f"reminders:{reminder_ids[0]}+{len(reminder_ids) - 1}"


def enqueue_deliveries(session: AsyncSession, reminder_ids: Sequence[str]) -> None:
    """Ask, for after the commit, for the delivery of new reminders: one job for a single
    reminder, batch jobs for more."""
    if len(reminder_ids) == 1:
        enqueue_after_commit(
            session,
            jobs.DELIVER_REMINDER,
            reminder_ids[0],
            job_id=delivery_job_id(reminder_ids[0]),
        )
        return
    for start in range(0, len(reminder_ids), DELIVERY_BATCH):
        batch = reminder_ids[start : start + DELIVERY_BATCH]
        enqueue_after_commit(
            session, jobs.DELIVER_REMINDER, *batch, job_id=delivery_batch_job_id(batch)
        )
