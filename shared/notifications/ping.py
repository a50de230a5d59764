"""Testing a webhook before real events flow: a signed test event on request, and the log
of every delivery attempt to a subscription.

The test event is a reminder like any other (``subscription.ping``, to this subscription
only): the same job delivers it, signed the same way, through the same egress guard, with
the same retries; its attempts are logged with the others.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.audit.service import record
from shared.auth.schemas import Actor
from shared.errors import Conflict
from shared.notifications.models import PING_EVENT, Reminder
from shared.notifications.queueing import delivery_job_id
from shared.notifications.repository import NotificationRepository
from shared.notifications.schemas import DeliveryOut, PingOut
from shared.notifications.subscriptions import owned
from shared.pagination import Page, decode_cursor, encode_cursor, split_page
from shared.queue import enqueue_after_commit

_CURSOR = "deliveries"


async def ping(session: AsyncSession, actor: Actor, subscription_id: uuid.UUID) -> PingOut:
    """Queue a test event to a subscription (delivered after the commit): a signed
    webhook POST, or a test e-mail."""
    sub = await owned(session, actor, subscription_id)
    if not sub.active:
        raise Conflict("the subscription is deleted", code="subscription_inactive")
    reminder = Reminder(
        id=uuid.uuid4(), subscription_id=sub.id, event_type=PING_EVENT, status="pending", attempts=0
    )
    session.add(reminder)
    await session.flush()
    enqueue_after_commit(
        session, jobs.DELIVER_REMINDER, str(reminder.id), job_id=delivery_job_id(reminder.id)
    )
    record(
        session, actor, "ping", "subscription", str(sub.id), after={"event_id": str(reminder.id)}
    )
    return PingOut(event_id=reminder.id, event_type=PING_EVENT, status="pending")


async def deliveries(
    session: AsyncSession,
    actor: Actor,
    subscription_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> Page[DeliveryOut]:
    """Every delivery attempt to a subscription, newest first."""
    await owned(session, actor, subscription_id)
    before = int(decode_cursor(cursor, _CURSOR, [int])[0]) if cursor else None
    rows = await NotificationRepository(session).deliveries_page(
        subscription_id, before=before, limit=limit + 1
    )
    page, next_cursor = split_page(rows, limit, lambda r: encode_cursor(_CURSOR, [r.id]))
    items = [DeliveryOut.model_validate(r, from_attributes=True) for r in page]
    return Page(items=items, next_cursor=next_cursor)
