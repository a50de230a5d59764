"""Subscriptions and reminders: input and output models."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.deadlines.schemas import DeadlineKind
from shared.kernel.outbox import ChangeEvent
from shared.notifications.models import DEFAULT_LEAD_DAYS

Channel = Literal["email", "webhook"]
ReminderStatus = Literal["pending", "delivering", "delivered", "failed"]
# What a delivery carries: a change event, a deadline reminder or a test ping.
EventType = Literal["deadline.reminder", ChangeEvent, "subscription.ping"]
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def _lead_days(values: list[int]) -> list[int]:
    if any(v < 0 or v > 3650 for v in values):
        raise ValueError("lead days are between 0 and 3650")
    return sorted(set(values), reverse=True)


class SubscriptionIn(BaseModel):
    """E-mail (`address`) or webhook (`url`); which countries and kinds; how early."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    channel: Channel
    address: str | None = Field(default=None, max_length=320, description="for e-mail")
    url: str | None = Field(default=None, max_length=2000, description="for webhooks (https)")
    countries: list[str] = Field(default=[], max_length=300, description="ISO3; empty: all")
    kinds: list[DeadlineKind] = Field(default=[], description="deadline kinds; empty: all")
    lead_days: list[int] = Field(
        default=list(DEFAULT_LEAD_DAYS), max_length=20, description="days before the due date"
    )
    overdue: bool = Field(default=True, description="also remind the day after the due date")
    events: list[ChangeEvent] = Field(default=[], description="change events (webhooks only)")

    @field_validator("lead_days")
    @classmethod
    def _valid_lead_days(cls, values: list[int]) -> list[int]:
        return _lead_days(values)

    @field_validator("address")
    @classmethod
    def _valid_address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value.strip()):
            raise ValueError("not an e-mail address")
        return value.strip() if value else value


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    countries: list[str] | None = Field(default=None, max_length=300)
    kinds: list[DeadlineKind] | None = None
    lead_days: list[int] | None = Field(default=None, max_length=20)
    overdue: bool | None = None
    events: list[ChangeEvent] | None = None
    active: bool | None = None

    @field_validator("lead_days")
    @classmethod
    def _valid_lead_days(cls, values: list[int] | None) -> list[int] | None:
        return None if values is None else _lead_days(values)


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str | None
    channel: Channel
    address: str | None
    url: str | None
    countries: list[str]
    kinds: list[str]
    lead_days: list[int]
    overdue: bool
    events: list[str]
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class SubscriptionCreated(SubscriptionOut):
    secret: str | None = Field(
        description="webhooks: the signing secret, shown only in this response"
    )


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempt: int
    started_at: dt.datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    outcome: str


class DeliveryOut(BaseModel):
    """One attempt to deliver an event to a subscription."""

    event_id: uuid.UUID = Field(description="the event id the receiver saw (X-Followup-Event-Id)")
    event_type: EventType
    attempt: int = Field(description="1 for the first try of this event")
    started_at: dt.datetime
    latency_ms: int = Field(description="from the request's start to the receiver's answer")
    status_code: int | None = Field(description="the receiver's HTTP status; null: no answer")
    error: str | None
    outcome: Literal["delivered", "retry", "failed"]
    next_retry_at: dt.datetime | None = Field(
        description="when this event is tried again (after a failed attempt that will be"
        " retried and is the event's latest), else null"
    )


class PingOut(BaseModel):
    """The test event queued for delivery."""

    event_id: uuid.UUID
    event_type: Literal["subscription.ping"]
    status: ReminderStatus


class ReminderOut(BaseModel):
    """One notification; `id` is the event id receivers see (`X-Followup-Event-Id`)."""

    id: uuid.UUID
    event_type: EventType
    subscription_id: uuid.UUID
    deadline_id: uuid.UUID | None
    window_days: int | None = Field(description="lead in days; -1: the overdue reminder")
    outbox_id: int | None
    status: ReminderStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    failed_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime
    attempt_log: list[AttemptOut]
