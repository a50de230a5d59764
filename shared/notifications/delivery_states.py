"""The delivery state machine of reminders: claim a due one (pending -> delivering, for
one worker), then record its outcome (delivered; back to pending with a backoff; failed)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.deadlines import rules
from shared.deadlines.models import Deadline
from shared.notifications import email, webhooks
from shared.notifications.models import (
    OVERDUE_WINDOW,
    PING_EVENT,
    REMINDER_EVENT,
    DeliveryAttempt,
    Subscription,
)
from shared.notifications.queueing import delivery_job_id
from shared.notifications.repository import NotificationRepository
from shared.queue import discard_pending_jobs, enqueue_after_commit
from shared.settings import Settings

# --- delivery --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """Everything needed to send one claimed reminder, in plain values."""

    reminder_id: uuid.UUID
    attempt: int
    event_type: str
    channel: str
    target: str
    secret: str | None
    body: bytes
    message: EmailMessage | None


def ping_data(sub: Subscription) -> dict[str, Any]:
    """The data of a test event: which subscription it tests, and that it is a test."""
    return {
        "subscription_id": str(sub.id),
        "subscription_name": sub.name,
        "message": "A test event sent on request: nothing happened in the data.",
    }


def _deadline_data(d: Deadline, window: int, base_url: str) -> dict[str, Any]:
    base = base_url.rstrip("/")
    return {
        "deadline": {
            "id": str(d.id),
            "kind": d.kind,
            "title": d.title,
            "due_date": d.due_date.isoformat(),
            "country": d.country,
            "subject_type": d.subject_type,
            "subject_id": d.subject_id,
            "status": d.status,
            "url": f"{base}/v1/deadlines/{d.id}",
        },
        "window": {"overdue": True}
        if window == OVERDUE_WINDOW
        else {"lead_days": window, "overdue": False},
    }


async def _midterm_draft_url(repo: NotificationRepository, d: Deadline, base: str) -> str | None:
    """For a UPR mid-term deadline (its subject is the working-group report), the URL that
    opens, or starts, the draft report of that State and cycle (GET /v1/reports/draft)."""
    if d.kind != "upr_midterm_report" or d.country is None or d.subject_type != "document":
        return None
    cycle = await repo.document_cycle(d.subject_id)
    if cycle is None:
        return None
    query = urlencode({"kind": "upr_midterm", "country": d.country, "cycle": cycle})
    return f"{base}/v1/reports/draft?{query}"


async def claim(
    session: AsyncSession, reminder_id: uuid.UUID, settings: Settings, today: dt.date
) -> Delivery | None:
    """Claim a pending reminder for this worker and prepare what to send; None when
    there is nothing to do. The caller commits before sending."""
    repo = NotificationRepository(session)
    reminder = await repo.claim(reminder_id)
    if reminder is None:
        return None
    sub = await repo.subscription(reminder.subscription_id)
    assert sub is not None  # reminders cascade with their subscription
    if not sub.active:
        await repo.finish(
            reminder.id,
            {
                "status": "failed",
                "failed_at": dt.datetime.now(dt.UTC),
                "last_error": "the subscription was deleted",
            },
        )
        return None
    data: dict[str, Any]
    message: EmailMessage | None = None
    envelope: email.Envelope | None = None
    if sub.channel == "email":
        assert sub.address is not None
        envelope = email.Envelope(str(reminder.id), sub.address, settings.mail_from)
    subscription = f"{sub.name!r} ({sub.id})" if sub.name else str(sub.id)
    base = settings.public_base_url.rstrip("/")
    if reminder.event_type == REMINDER_EVENT:
        assert reminder.deadline_id is not None
        assert reminder.window_days is not None
        deadline = await session.get(Deadline, reminder.deadline_id)
        assert deadline is not None
        data = _deadline_data(deadline, reminder.window_days, base)
        # A mid-term reminder leads to the draft report of that State and cycle.
        draft = await _midterm_draft_url(repo, deadline, base)
        if draft is not None:
            data["report_draft_url"] = draft
        if envelope is not None:
            message = email.reminder_message(
                envelope,
                title=deadline.title,
                kind=deadline.kind,
                country_code=deadline.country,
                country_name=rules.country_name(deadline.country),
                due=deadline.due_date,
                status=deadline.status,
                link=f"{base}/v1/deadlines/{deadline.id}",
                calendar_link=f"{base}/v1/calendar/{deadline.country}.ics"
                if deadline.country
                else None,
                draft_link=draft,
                subscription=subscription,
                today=today,
            )
    elif reminder.event_type == PING_EVENT:
        data = ping_data(sub)
        if envelope is not None:
            message = email.ping_message(envelope, subscription=subscription)
    else:
        assert reminder.outbox_id is not None
        event = await repo.outbox_event(reminder.outbox_id)
        assert event is not None
        data = {"country": event.country, **event.payload}
    body = orjson.dumps(
        {
            "id": str(reminder.id),
            "type": reminder.event_type,
            "created_at": reminder.created_at.isoformat(),
            "data": data,
        }
    )
    secret = (
        webhooks.unseal(sub.secret, settings.secret_key.get_secret_value()) if sub.secret else None
    )
    return Delivery(
        reminder_id=reminder.id,
        attempt=reminder.attempts,
        event_type=reminder.event_type,
        channel=sub.channel,
        target=sub.url if sub.channel == "webhook" and sub.url else (sub.address or ""),
        secret=secret,
        body=body,
        message=message,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    retryable: bool = True


def backoff(attempt: int, settings: Settings) -> float:
    """Exponential backoff with jitter: half the delay fixed, half random."""
    delay = min(
        settings.reminder_backoff_max_s, settings.reminder_backoff_base_s * 2 ** (attempt - 1)
    )
    return float(delay / 2 + random.uniform(0, delay / 2))


async def finish(
    session: AsyncSession,
    delivery: Delivery,
    outcome: Outcome,
    *,
    started_at: dt.datetime,
    duration_ms: int,
    settings: Settings,
) -> str:
    """Log the attempt and move the reminder on: delivered, pending again (a retry is
    queued after commit) or failed. Returns the new status."""
    repo = NotificationRepository(session)
    now = dt.datetime.now(dt.UTC)
    if outcome.ok:
        status = "delivered"
        values: dict[str, Any] = {"status": status, "delivered_at": now, "last_error": None}
    elif outcome.retryable and delivery.attempt < settings.reminder_max_attempts:
        status = "pending"
        delay = backoff(delivery.attempt, settings)
        values = {
            "status": status,
            "next_attempt_at": now + dt.timedelta(seconds=delay),
            "last_error": outcome.error,
        }
        enqueue_after_commit(
            session,
            jobs.DELIVER_REMINDER,
            str(delivery.reminder_id),
            job_id=delivery_job_id(delivery.reminder_id, f":try{delivery.attempt + 1}"),
            defer_by=dt.timedelta(seconds=delay),
        )
    else:
        status = "failed"
        values = {"status": status, "failed_at": now, "last_error": outcome.error}
    repo.add_attempt(
        DeliveryAttempt(
            reminder_id=delivery.reminder_id,
            attempt=delivery.attempt,
            started_at=started_at,
            duration_ms=duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            outcome="delivered" if outcome.ok else ("retry" if status == "pending" else "failed"),
        )
    )
    if not await repo.finish(delivery.reminder_id, values):
        # The sweeper took it back meanwhile (this send outlived the timeout); the
        # attempt stays logged and the other delivery carries the same event id.
        discard_pending_jobs(session)
        return "superseded"
    return status
