"""All SQL of subscriptions, reminders, delivery attempts and the outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, delete, func, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError

from shared.kernel import outbox
from shared.kernel.outbox import OutboxEvent
from shared.kernel.repository import Repository, keyset_page
from shared.notifications.models import (
    DeliveryAttempt,
    Reminder,
    Subscription,
)

SCAN_ID = 1

# Reminders whose window opened since the last scan, for every active subscription.
# A window opens at due_date - window_days (window -1: the day after the due date), so
# for each distinct window the deadlines are one index range on due_date. Deadlines and
# subscriptions created or changed since the last scan also get their tightest window
# that is already open (a deadline entered 5 days before it is due gets the 7-day
# reminder at once, not never).
#
# The insert is lean because a global subscription makes it large (150k rows a day on
# a million deadlines): ids returned as text only, and a plain INSERT guarded by an
# anti-join instead of ON CONFLICT, whose speculative insertion costs about a tenth of
# the statement. The anti-join is exact
# because scans run one at a time (lock_scan_state) and each statement sees the rows of
# the scans that committed before; the unique constraint still guarantees one reminder
# per (deadline, subscription, window), and should anything else ever race with a scan,
# create_due_reminders falls back to _SCAN_ON_CONFLICT. UNION (not UNION ALL) keeps the
# three paths from proposing the same row twice in one statement.
#
# Subscription s wants reminders of deadline {d}: one of its countries and kinds (none: all).
_WANTS = """(cardinality(s.countries) = 0 OR {d}.country = ANY(s.countries))
         AND (cardinality(s.kinds) = 0 OR {d}.kind = ANY(s.kinds))"""
# The tightest window of subscription s that is already open for deadline d.
_TIGHTEST_OPEN = """(SELECT min(l) FROM unnest(s.lead_days) l
                WHERE l >= d.due_date - CAST(:today AS date))"""
_SCAN_TEMPLATE = f"""
    WITH sub AS (
        SELECT s.id, s.countries, s.kinds, s.lead_days, s.updated_at, w.days
        FROM subscriptions s
        CROSS JOIN LATERAL unnest(
            s.lead_days || CASE WHEN s.overdue THEN ARRAY[-1]::smallint[]
                                ELSE ARRAY[]::smallint[] END
        ) AS w(days)
        WHERE s.active
    ),
    windows AS (SELECT DISTINCT days FROM sub),
    opened AS (
        SELECT d.id, d.country, d.kind, w.days
        FROM windows w
        JOIN deadlines d
          ON d.status <> 'met'
         AND d.due_date > CAST(:watermark AS date) + w.days
         AND d.due_date <= CAST(:today AS date) + w.days
    ),
    candidates AS (
        SELECT o.id AS deadline_id, s.id AS subscription_id, o.days
        FROM opened o
        JOIN sub s
          ON s.days = o.days
         AND {_WANTS.format(d="o")}
        UNION
        SELECT d.id, s.id, {_TIGHTEST_OPEN}
        FROM deadlines d
        JOIN subscriptions s
          ON s.active
         AND {_WANTS.format(d="d")}
        WHERE d.updated_at > CAST(:since AS timestamptz)
          AND d.status <> 'met' AND d.due_date >= CAST(:today AS date)
        UNION
        SELECT d.id, s.id, {_TIGHTEST_OPEN}
        FROM subscriptions s
        JOIN deadlines d
          ON d.status <> 'met'
         AND d.due_date >= CAST(:today AS date)
         AND d.due_date <= CAST(:today AS date)
                           + (SELECT coalesce(max(l), -1) FROM unnest(s.lead_days) l)
         AND {_WANTS.format(d="d")}
        WHERE s.active AND s.updated_at > CAST(:since AS timestamptz)
    )
    INSERT INTO reminders (id, subscription_id, event_type, deadline_id, window_days, status,
                           attempts, next_attempt_at, created_at)
    SELECT gen_random_uuid(), c.subscription_id, 'deadline.reminder', c.deadline_id, c.days,
           'pending', 0, now(), now()
    FROM candidates c
    WHERE c.days IS NOT NULL
      AND NOT EXISTS (
          SELECT FROM reminders r
          WHERE r.deadline_id = c.deadline_id
            AND r.subscription_id = c.subscription_id
            AND r.window_days = c.days
      )
    {{on_conflict}}
    RETURNING id::text
    """
_SCAN = text(_SCAN_TEMPLATE.format(on_conflict=""))
_SCAN_ON_CONFLICT = text(
    _SCAN_TEMPLATE.format(
        on_conflict="ON CONFLICT (deadline_id, subscription_id, window_days) DO NOTHING"
    )
)

# One reminder per claimed outbox event (shared.kernel.outbox owns the table and the claim)
# and matching webhook subscription.
_FAN_OUT = text(
    """
    INSERT INTO reminders (id, subscription_id, event_type, outbox_id, status, attempts,
                           next_attempt_at, created_at)
    SELECT gen_random_uuid(), s.id, b.event_type, b.id, 'pending', 0, now(), now()
    FROM outbox b
    JOIN subscriptions s
      ON s.active
     AND s.channel = 'webhook'
     AND b.event_type = ANY(s.events)
     AND (cardinality(s.countries) = 0 OR b.country = ANY(s.countries))
     AND s.created_at <= b.created_at
    WHERE b.id = ANY(:ids)
    ON CONFLICT (outbox_id, subscription_id) WHERE outbox_id IS NOT NULL DO NOTHING
    RETURNING id
    """
)


@dataclass(frozen=True, slots=True)
class Owners:
    """Whose subscriptions, and reminders of them, a list shows: every owner's
    (``everyone``), or those of one API key (``None``: those made without a key)."""

    api_key_id: uuid.UUID | None
    everyone: bool

    def include(self, api_key_id: uuid.UUID | None) -> bool:
        return self.everyone or api_key_id == self.api_key_id


class NotificationRepository(Repository[Subscription]):
    """The SQL of subscriptions (the base's rows), reminders, their delivery attempts and
    the reminder scan."""

    model = Subscription

    async def document_cycle(self, document_id: str) -> int | None:
        """The cycle of a document a deadline is about (None for a malformed id)."""
        try:
            ident = uuid.UUID(document_id)
        except ValueError:
            return None
        result = await self.session.execute(
            text("SELECT cycle FROM documents WHERE id = :id"), {"id": ident}
        )
        cycle = result.scalar_one_or_none()
        return int(cycle) if cycle is not None else None

    # --- subscriptions -------------------------------------------------------------------

    async def email_subscriptions_of(self, address: str) -> Sequence[Subscription]:
        """E-mail subscriptions sent to ``address`` (without regard to case)."""
        query = select(Subscription).where(
            Subscription.channel == "email", func.lower(Subscription.address) == address.lower()
        )
        return (await self.session.execute(query)).scalars().all()

    async def closed_email_subscriptions(self, before: dt.datetime) -> Sequence[Subscription]:
        """E-mail subscriptions stopped before ``before``: past their retention."""
        query = select(Subscription).where(
            Subscription.channel == "email",
            Subscription.active.is_(False),
            Subscription.updated_at < before,
        )
        return (await self.session.execute(query)).scalars().all()

    async def delete_subscriptions(self, ids: Sequence[uuid.UUID]) -> None:
        """Delete subscriptions with their reminders and delivery attempts (cascade)."""
        if ids:
            await self.session.execute(delete(Subscription).where(Subscription.id.in_(ids)))

    async def subscription(self, subscription_id: uuid.UUID) -> Subscription | None:
        return await self.session.get(Subscription, subscription_id)

    async def subscriptions_page(
        self, *, owners: Owners, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> Sequence[Subscription]:
        query = select(Subscription)
        if not owners.everyone:
            query = query.where(Subscription.api_key_id == owners.api_key_id)
        query = keyset_page(query, Subscription.created_at, Subscription.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    # --- scan ------------------------------------------------------------------------------

    async def lock_scan_state(self, today: dt.date) -> tuple[dt.date, dt.datetime | None]:
        """The watermark and the start of the previous scan, locked until commit, so that
        concurrent scans run one after the other."""
        await self.session.execute(
            text(
                "INSERT INTO reminder_scans (id, scanned_through, started_at)"
                " VALUES (:id, :through, '-infinity') ON CONFLICT (id) DO NOTHING"
            ),
            {"id": SCAN_ID, "through": today - dt.timedelta(days=1)},
        )
        row = (
            await self.session.execute(
                text(
                    "SELECT scanned_through, started_at, isfinite(started_at) AS finite"
                    " FROM reminder_scans WHERE id = :id FOR UPDATE"
                ),
                {"id": SCAN_ID},
            )
        ).one()
        return row.scanned_through, (row.started_at if row.finite else None)

    async def save_scan_state(self, today: dt.date) -> None:
        await self.session.execute(
            text(
                "UPDATE reminder_scans SET scanned_through = greatest(scanned_through, :today),"
                " started_at = now() WHERE id = :id"
            ),
            {"id": SCAN_ID, "today": today},
        )

    async def create_due_reminders(
        self, *, watermark: dt.date, today: dt.date, since: dt.datetime
    ) -> list[str]:
        """The ids (as text) of the reminders created."""
        params = {"watermark": watermark, "today": today, "since": since}
        # synchronous_commit off: a crash right after commit may lose this scan, but only
        # together with its watermark (the next scan makes it again), and no delivery can
        # outlive it: a claim commits synchronously, which flushes this commit first.
        await self.session.execute(text("SET LOCAL synchronous_commit = off"))
        try:
            async with self.session.begin_nested():
                result = await self.session.execute(_SCAN, params)
                return list(result.scalars().all())
        except IntegrityError as exc:
            if getattr(exc.orig, "sqlstate", None) != "23505":
                raise
        # A unique violation: a writer outside the scan lock raced with us.
        result = await self.session.execute(_SCAN_ON_CONFLICT, params)
        return list(result.scalars().all())

    # --- outbox ------------------------------------------------------------------------------

    async def dispatch_outbox(self, limit: int) -> tuple[int, list[uuid.UUID]]:
        """Fan up to ``limit`` undispatched events out to matching webhook subscriptions;
        (events, reminder ids). Claim, fan-out and mark share the caller's transaction."""
        events = await outbox.claim_undispatched(self.session, limit)
        if not events:
            return 0, []
        created = await self.session.execute(_FAN_OUT, {"ids": events})
        await outbox.mark_dispatched(self.session, events)
        return len(events), list(created.scalars())

    async def outbox_event(self, outbox_id: int) -> OutboxEvent | None:
        return await self.session.get(OutboxEvent, outbox_id)

    # --- delivery ------------------------------------------------------------------------

    async def claim(self, reminder_id: uuid.UUID) -> Reminder | None:
        """pending -> delivering, for one worker only; None when someone else has it,
        it is done, or its next attempt is not due yet."""
        result = await self.session.execute(
            update(Reminder)
            .where(
                Reminder.id == reminder_id,
                Reminder.status == "pending",
                Reminder.next_attempt_at <= func.now() + dt.timedelta(seconds=1),
            )
            .values(status="delivering", claimed_at=func.now(), attempts=Reminder.attempts + 1)
            .returning(Reminder)
            .execution_options(synchronize_session=False)
        )
        return result.scalar_one_or_none()

    def add_attempt(self, attempt: DeliveryAttempt) -> None:
        self.session.add(attempt)

    async def finish(self, reminder_id: uuid.UUID, values: dict[str, Any]) -> bool:
        result = await self.session.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.status == "delivering")
            .values(**values)
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        )
        return result.scalar_one_or_none() is not None

    async def release_stuck(
        self, stuck_after: dt.timedelta, max_attempts: int
    ) -> Sequence[Row[Any]]:
        """Reminders left 'delivering' by a dead worker: pending again (same id, so the
        same event id) or failed when out of attempts."""
        result = await self.session.execute(
            text(
                """
                UPDATE reminders SET
                    status = CASE WHEN attempts >= :max THEN 'failed' ELSE 'pending' END,
                    failed_at = CASE WHEN attempts >= :max THEN now() END,
                    next_attempt_at = now(),
                    last_error = 'the worker stopped during delivery; outcome unknown'
                WHERE status = 'delivering' AND claimed_at < now() - CAST(:timeout AS interval)
                RETURNING id, attempts, claimed_at, status
                """
            ),
            {"timeout": stuck_after, "max": max_attempts},
        )
        return result.all()

    async def lost_pending(self, grace: dt.timedelta, limit: int) -> list[uuid.UUID]:
        """Pending reminders whose attempt is overdue by more than ``grace``: their job
        never reached Redis, or Redis lost it."""
        statement = (
            select(Reminder.id)
            .where(Reminder.status == "pending", Reminder.next_attempt_at < func.now() - grace)
            .order_by(Reminder.next_attempt_at)
            .limit(limit)
        )
        return list((await self.session.scalars(statement)).all())

    # --- reads -------------------------------------------------------------------------------

    async def reminder(self, reminder_id: uuid.UUID) -> Reminder | None:
        return await self.session.get(Reminder, reminder_id)

    async def reminders_page(
        self,
        *,
        owners: Owners,
        subscription_id: uuid.UUID | None,
        statuses: tuple[str, ...],
        event_types: tuple[str, ...],
        deadline_id: uuid.UUID | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Reminder]:
        query = select(Reminder).order_by(Reminder.created_at.desc(), Reminder.id.desc())
        if not owners.everyone:
            query = query.join(Subscription, Subscription.id == Reminder.subscription_id).where(
                Subscription.api_key_id == owners.api_key_id
            )
        if subscription_id is not None:
            query = query.where(Reminder.subscription_id == subscription_id)
        if statuses:
            query = query.where(Reminder.status.in_(statuses))
        if event_types:
            query = query.where(Reminder.event_type.in_(event_types))
        if deadline_id is not None:
            query = query.where(Reminder.deadline_id == deadline_id)
        if after is not None:
            query = query.where(tuple_(Reminder.created_at, Reminder.id) < tuple_(*after))
        return (await self.session.execute(query.limit(limit))).scalars().all()

    async def attempts_of(
        self, reminder_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[DeliveryAttempt]]:
        return await self.grouped(
            reminder_ids,
            select(DeliveryAttempt.reminder_id, DeliveryAttempt)
            .where(DeliveryAttempt.reminder_id.in_(reminder_ids))
            .order_by(DeliveryAttempt.reminder_id, DeliveryAttempt.id),
        )

    async def deliveries_page(
        self, subscription_id: uuid.UUID, *, before: int | None, limit: int
    ) -> Sequence[Any]:
        """Delivery attempts of a subscription's events, newest first."""
        result = await self.session.execute(
            _DELIVERIES, {"sid": subscription_id, "before": before, "limit": limit}
        )
        return result.all()


# Columns named as in DeliveryOut. The next retry is the event's next attempt while it
# waits for one after this attempt.
_DELIVERIES = text(
    """
    SELECT a.id, a.reminder_id AS event_id, r.event_type, a.attempt, a.started_at,
           a.duration_ms AS latency_ms,
           a.status_code, a.error, a.outcome,
           CASE WHEN a.outcome = 'retry' AND r.status = 'pending' AND a.attempt = r.attempts
                THEN r.next_attempt_at END AS next_retry_at
    FROM reminders r JOIN delivery_attempts a ON a.reminder_id = r.id
    WHERE r.subscription_id = :sid AND (CAST(:before AS bigint) IS NULL OR a.id < :before)
    ORDER BY a.id DESC
    LIMIT :limit
    """
)
