"""Subscriptions, reminders (one per deadline, subscription and window, or per change event
and subscription) and their delivery attempts; the outbox of change events is
``shared.kernel.outbox``."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, Timestamps, UUIDPrimaryKey, sql_in
from shared.kernel.outbox import CHANGE_EVENTS

CHANNELS = ("email", "webhook")
REMINDER_EVENT = "deadline.reminder"
# A test event sent on request (POST /v1/subscriptions/{id}/ping), to that subscription
# only: never subscribed to, never fanned out.
PING_EVENT = "subscription.ping"
EVENT_TYPES = (REMINDER_EVENT, *CHANGE_EVENTS, PING_EVENT)
REMINDER_STATUSES = ("pending", "delivering", "delivered", "failed")
# The window of a reminder is its lead in days before the due date; -1 means "overdue"
# (the day after the due date), so every window opens at due_date - window_days.
OVERDUE_WINDOW = -1
DEFAULT_LEAD_DAYS = (90, 30, 7, 1)


class Subscription(UUIDPrimaryKey, Timestamps, Base):
    """Who is told (an e-mail address or a webhook URL), of what, and how early."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        sa.CheckConstraint(sql_in("channel", CHANNELS), name="channel"),
        sa.CheckConstraint(
            "(channel = 'email' AND address IS NOT NULL AND url IS NULL)"
            " OR (channel = 'webhook' AND url IS NOT NULL AND secret IS NOT NULL)",
            name="target",
        ),
        sa.Index("ix_subscriptions_owner", "api_key_id", "created_at", "id"),
        sa.Index("ix_subscriptions_events", "events", postgresql_using="gin"),
    )

    name: Mapped[str | None] = mapped_column(sa.String(200))
    channel: Mapped[str] = mapped_column(sa.String(10))
    address: Mapped[str | None] = mapped_column(sa.String(320))
    url: Mapped[str | None] = mapped_column(sa.Text)
    # The webhook signing secret, encrypted with a key derived from SECRET_KEY.
    secret: Mapped[str | None] = mapped_column(sa.Text)
    # Empty: every country / every kind.
    countries: Mapped[list[str]] = mapped_column(ARRAY(sa.String(3)), default=list)
    kinds: Mapped[list[str]] = mapped_column(ARRAY(sa.String(40)), default=list)
    lead_days: Mapped[list[int]] = mapped_column(ARRAY(sa.SmallInteger), default=list)
    overdue: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    events: Mapped[list[str]] = mapped_column(ARRAY(sa.String(60)), default=list)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(sa.Integer, default=1)


class Reminder(UUIDPrimaryKey, Base):
    """One notification to one subscription; its id is the event id receivers see.

    Ids made in SQL (the scan, the outbox dispatch) come from gen_random_uuid(), which
    every supported PostgreSQL has (uuidv7() would append to the index, but needs 18).

    Created once (unique per deadline, subscription and window, or per outbox event and
    subscription), then pending -> delivering -> delivered | failed.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", REMINDER_STATUSES), name="status"),
        sa.CheckConstraint(sql_in("event_type", EVENT_TYPES), name="event_type"),
        sa.CheckConstraint(
            "(deadline_id IS NOT NULL AND window_days IS NOT NULL AND outbox_id IS NULL)"
            " OR (deadline_id IS NULL AND window_days IS NULL AND outbox_id IS NOT NULL)"
            f" OR (event_type = '{PING_EVENT}' AND deadline_id IS NULL"
            " AND window_days IS NULL AND outbox_id IS NULL)",
            name="source",
        ),
        sa.UniqueConstraint("deadline_id", "subscription_id", "window_days"),
        # Partial: deadline reminders (the bulk, written by the scan) have no outbox id
        # and would only add dead entries here. It still serves ON CONFLICT (with the same
        # predicate) and the ON DELETE CASCADE from outbox (outbox_id = $1 implies it).
        sa.Index(
            "uq_reminders_outbox_id_subscription_id",
            "outbox_id",
            "subscription_id",
            unique=True,
            postgresql_where=sa.text("outbox_id IS NOT NULL"),
        ),
        # Every index below is paid for by each reminder the scan creates; each one
        # serves a query: listing per subscription (and the cascade from subscriptions),
        # listing all (admin), and the sweeper.
        sa.Index("ix_reminders_subscription", "subscription_id", "created_at", "id"),
        sa.Index("ix_reminders_order", "created_at", "id"),
        # The sweeper looks only at unfinished reminders.
        sa.Index(
            "ix_reminders_unfinished",
            "status",
            "next_attempt_at",
            postgresql_where=sa.text("status IN ('pending', 'delivering')"),
        ),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(sa.String(60))
    deadline_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("deadlines.id", ondelete="CASCADE")
    )
    window_days: Mapped[int | None] = mapped_column(sa.SmallInteger)
    outbox_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("outbox.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    claimed_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())


class DeliveryAttempt(Base):
    """Every try to deliver a reminder: when, how long, the status code or the error."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (sa.Index(None, "reminder_id", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    reminder_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("reminders.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(sa.SmallInteger)
    started_at: Mapped[dt.datetime]
    duration_ms: Mapped[int] = mapped_column(sa.Integer)
    status_code: Mapped[int | None] = mapped_column(sa.SmallInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str] = mapped_column(sa.String(12))


class ReminderScan(Base):
    """The scan's watermark: windows that opened up to ``scanned_through`` were scanned."""

    __tablename__ = "reminder_scans"

    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    scanned_through: Mapped[dt.date] = mapped_column(sa.Date)
    started_at: Mapped[dt.datetime]
