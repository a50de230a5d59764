"""Reads of reminders and their delivery attempts."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.schemas import Actor
from shared.errors import NotFound
from shared.kernel.shapes import shape_of
from shared.notifications.models import (
    DeliveryAttempt,
    Reminder,
)
from shared.notifications.repository import NotificationRepository
from shared.notifications.schemas import (
    ReminderOut,
)
from shared.notifications.subscriptions import owned, owners_seen_by
from shared.pagination import Page, decode_time_key, split_time_key_page

# --- reminders (reads) ---------------------------------------------------------------------


def _reminder_out(row: Reminder, attempts: list[DeliveryAttempt]) -> ReminderOut:
    return shape_of(
        ReminderOut,
        row,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        attempt_log=attempts,
    )


async def list_reminders(
    session: AsyncSession,
    actor: Actor,
    *,
    subscription_id: uuid.UUID | None,
    statuses: tuple[str, ...],
    event_types: tuple[str, ...],
    deadline_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page[ReminderOut]:
    repo = NotificationRepository(session)
    rows = await repo.reminders_page(
        owners=owners_seen_by(actor),
        subscription_id=subscription_id,
        statuses=statuses,
        event_types=event_types,
        deadline_id=deadline_id,
        after=decode_time_key(cursor, "reminders", dt.datetime.fromisoformat),
        limit=limit + 1,
    )
    page, next_cursor = split_time_key_page(
        "reminders", rows, limit, lambda r: (r.created_at, r.id)
    )
    attempts = await repo.attempts_of([r.id for r in page])
    return Page(items=[_reminder_out(r, attempts[r.id]) for r in page], next_cursor=next_cursor)


async def get_reminder(session: AsyncSession, actor: Actor, reminder_id: uuid.UUID) -> ReminderOut:
    repo = NotificationRepository(session)
    row = await repo.reminder(reminder_id)
    if row is None:
        raise NotFound(f"no reminder {reminder_id}")
    await owned(session, actor, row.subscription_id)
    return _reminder_out(row, (await repo.attempts_of([row.id]))[row.id])
