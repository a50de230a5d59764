"""Subscriptions, the reminder scan, the fan-out of change events and the delivery state
machine.

Other domains report changes with ``shared.kernel.outbox.emit`` inside their own
transaction; ``dispatch_outbox`` turns each event into one reminder per matching webhook.

Reminder states: pending -> delivering (claimed by one worker, committed before sending)
-> delivered | failed; a failed try goes back to pending with a later next_attempt_at
until ``REMINDER_MAX_ATTEMPTS``. A reminder left delivering by a dead worker is sent again
by the sweeper with the same id, which receivers see as the event id.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.audit.service import record
from shared.auth.schemas import Actor
from shared.deadlines import rules
from shared.deadlines import service as deadlines
from shared.deadlines.models import Deadline
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.kernel import validation
from shared.kernel.concurrency import changed_meanwhile, require_version
from shared.notifications import email, webhooks
from shared.notifications.models import (
    OVERDUE_WINDOW,
    PING_EVENT,
    REMINDER_EVENT,
    DeliveryAttempt,
    Reminder,
    Subscription,
)
from shared.notifications.repository import NotificationRepository
from shared.notifications.schemas import (
    AttemptOut,
    ReminderOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from shared.pagination import Page, decode_time_key, encode_time_key
from shared.queue import discard_pending_jobs, enqueue_after_commit
from shared.settings import Settings

# How long two scans overlap in time when looking for changed deadlines and
# subscriptions: transactions that committed late are still seen (duplicates are
# impossible anyway, thanks to the unique constraint).
SCAN_OVERLAP = dt.timedelta(minutes=10)
OUTBOX_BATCH = 500
SWEEP_LIMIT = 5000


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


# --- subscriptions -------------------------------------------------------------------------


def to_out(row: Subscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(row, from_attributes=True)


def _snapshot(row: Subscription) -> dict[str, Any]:
    return to_out(row).model_dump(mode="json")


def _countries(actor: Actor, values: list[str]) -> list[str]:
    problems = validation.Problems("body")
    codes = list(validation.countries(values, "countries", problems))
    problems.raise_if_any()
    if actor.countries is not None:
        if not codes:
            raise Forbidden(
                "this API key is limited to some countries: list them in `countries`",
                code="country_not_allowed",
            )
        for code in codes:
            actor.require_country(code)
    return codes


async def create_subscription(
    session: AsyncSession, actor: Actor, data: SubscriptionIn, settings: Settings
) -> SubscriptionCreated:
    """Create a subscription; for webhooks the signing secret is returned only here."""
    countries = _countries(actor, data.countries)
    secret: str | None = None
    if data.channel == "email":
        if not data.address or data.url:
            raise InvalidInput("an e-mail subscription needs `address` (and no `url`)")
        if data.events:
            raise InvalidInput("change events are delivered to webhooks only")
    else:
        if not data.url or data.address:
            raise InvalidInput("a webhook subscription needs `url` (and no `address`)")
        await webhooks.check_url(data.url, settings)
        secret = webhooks.new_secret()
    row = Subscription(
        id=uuid.uuid4(),
        name=data.name,
        channel=data.channel,
        address=data.address,
        url=data.url,
        secret=(webhooks.seal(secret, settings.secret_key.get_secret_value()) if secret else None),
        countries=countries,
        kinds=list(dict.fromkeys(data.kinds)),
        lead_days=data.lead_days,
        overdue=data.overdue,
        events=list(dict.fromkeys(data.events)),
        active=True,
        api_key_id=actor.api_key_id,
        version=1,
    )
    repo = NotificationRepository(session)
    repo.add(row)
    await session.flush()
    await session.refresh(row)
    record(session, actor, "create", "subscription", str(row.id), after=_snapshot(row))
    return SubscriptionCreated(**to_out(row).model_dump(), secret=secret)


async def _owned(session: AsyncSession, actor: Actor, subscription_id: uuid.UUID) -> Subscription:
    row = await NotificationRepository(session).subscription(subscription_id)
    if row is None or not (actor.is_global_admin or row.api_key_id == actor.api_key_id):
        raise NotFound(f"no subscription {subscription_id}")
    return row


async def _record_change(
    session: AsyncSession, actor: Actor, action: str, row: Subscription, before: dict[str, Any]
) -> None:
    """Audit a versioned UPDATE of ``row``: reloaded first, so ``after`` shows what it wrote."""
    await session.refresh(row)
    record(session, actor, action, "subscription", str(row.id), before=before, after=_snapshot(row))


async def get_subscription(
    session: AsyncSession, actor: Actor, subscription_id: uuid.UUID
) -> SubscriptionOut:
    return to_out(await _owned(session, actor, subscription_id))


async def list_subscriptions(
    session: AsyncSession, actor: Actor, *, cursor: str | None, limit: int
) -> Page[SubscriptionOut]:
    after = decode_time_key(cursor, "subscriptions", dt.datetime.fromisoformat)
    rows = await NotificationRepository(session).subscriptions_page(
        owner=actor.api_key_id, all_owners=actor.is_global_admin, after=after, limit=limit + 1
    )
    items = [to_out(r) for r in rows[:limit]]
    next_cursor = (
        encode_time_key("subscriptions", items[-1].created_at, items[-1].id)
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def patch_subscription(
    session: AsyncSession,
    actor: Actor,
    subscription_id: uuid.UUID,
    version: int,
    data: SubscriptionPatch,
) -> SubscriptionOut:
    row = await _owned(session, actor, subscription_id)
    before = _snapshot(row)
    changes = data.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None and key != "name":
            raise InvalidInput(f"{key} cannot be null")
        values[key] = value
    if "countries" in values:
        values["countries"] = _countries(actor, values["countries"])
    if values.get("events") and row.channel != "webhook":
        raise InvalidInput("change events are delivered to webhooks only")
    require_version("subscription", row.version, version)
    if values:
        repo = NotificationRepository(session)
        if await repo.update_subscription_if_version(subscription_id, version, values) is None:
            raise changed_meanwhile("subscription")
        await _record_change(session, actor, "update", row, before)
    return to_out(row)


async def deactivate_subscription(
    session: AsyncSession, actor: Actor, subscription_id: uuid.UUID
) -> None:
    """Stop a subscription; its reminders and their attempts stay readable."""
    row = await _owned(session, actor, subscription_id)
    if row.active:
        before = _snapshot(row)
        await NotificationRepository(session).update_subscription_if_version(
            row.id, row.version, {"active": False}
        )
        await _record_change(session, actor, "delete", row, before)


# --- reminders (reads) ---------------------------------------------------------------------


def _reminder_out(row: Reminder, attempts: list[DeliveryAttempt]) -> ReminderOut:
    return ReminderOut(
        id=row.id,
        event_type=row.event_type,
        subscription_id=row.subscription_id,
        deadline_id=row.deadline_id,
        window_days=row.window_days,
        outbox_id=row.outbox_id,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        delivered_at=row.delivered_at,
        failed_at=row.failed_at,
        last_error=row.last_error,
        created_at=row.created_at,
        attempt_log=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts],
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
        owner=actor.api_key_id,
        all_owners=actor.is_global_admin,
        subscription_id=subscription_id,
        statuses=statuses,
        event_types=event_types,
        deadline_id=deadline_id,
        after=decode_time_key(cursor, "reminders", dt.datetime.fromisoformat),
        limit=limit + 1,
    )
    page = rows[:limit]
    attempts = await repo.attempts_of([r.id for r in page])
    items = [_reminder_out(r, attempts[r.id]) for r in page]
    next_cursor = (
        encode_time_key("reminders", items[-1].created_at, items[-1].id)
        if len(rows) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


async def get_reminder(session: AsyncSession, actor: Actor, reminder_id: uuid.UUID) -> ReminderOut:
    repo = NotificationRepository(session)
    row = await repo.reminder(reminder_id)
    if row is None:
        raise NotFound(f"no reminder {reminder_id}")
    await _owned(session, actor, row.subscription_id)
    return _reminder_out(row, (await repo.attempts_of([row.id]))[row.id])


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
        if sub.channel == "email":
            assert sub.address is not None
            message = email.reminder_message(
                event_id=str(reminder.id),
                to=sub.address,
                sender=settings.mail_from,
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
                subscription=f"{sub.name!r} ({sub.id})" if sub.name else str(sub.id),
                today=today,
            )
    elif reminder.event_type == PING_EVENT:
        data = ping_data(sub)
        if sub.channel == "email":
            assert sub.address is not None
            message = email.ping_message(
                event_id=str(reminder.id),
                to=sub.address,
                sender=settings.mail_from,
                subscription=f"{sub.name!r} ({sub.id})" if sub.name else str(sub.id),
            )
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
