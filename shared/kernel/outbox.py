"""The transactional outbox: domains report a change with ``emit(session, event_type,
country, payload)`` inside their own transaction; the event is stored with the change and
reaches webhook subscribers after the commit (never for a change that rolled back).
Notifications fan the events out to subscriptions (``shared.notifications``): they claim
a batch (``claim_undispatched``), make its reminders, and mark it (``mark_dispatched``) in
one transaction. This module is the only writer of the ``outbox`` table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal, get_args

import orjson
from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, String, func, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared import jobs
from shared.db import Base, sql_in
from shared.queue import enqueue_after_commit

ChangeEvent = Literal[
    "recommendation.position_changed",
    "recommendation.status_changed",
    "programme.updated",
    "mandate.updated",
    # The review workflow (shared/review): a report submitted, returned or validated, and
    # the daily reminders to coordinators and focal points.
    "progress_report.changed",
    "review.reminder",
]
CHANGE_EVENTS: tuple[str, ...] = get_args(ChangeEvent)


class OutboxEvent(Base):
    """A change event, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(sql_in("event_type", CHANGE_EVENTS), name="event_type"),
        Index("ix_outbox_undispatched", "id", postgresql_where=text("dispatched_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(60))
    country: Mapped[str | None] = mapped_column(String(3))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    dispatched_at: Mapped[dt.datetime | None]


async def emit(
    session: AsyncSession, event_type: str, country: str | None, payload: dict[str, Any]
) -> int:
    """Record a change event in the caller's transaction (the transactional outbox).

    ``event_type``: one of ``CHANGE_EVENTS``; ``country``: ISO3 of the data that changed
    (subscriptions filter on it); ``payload``: JSON-serialisable, sent as the event's
    ``data``. Returns the outbox id.
    """
    if event_type not in CHANGE_EVENTS:
        raise ValueError(f"unknown event type {event_type!r}; known: {CHANGE_EVENTS}")
    row = OutboxEvent(
        event_type=event_type,
        country=country,
        payload=orjson.loads(orjson.dumps(payload)),
    )
    session.add(row)
    await session.flush()
    enqueue_after_commit(session, jobs.DISPATCH_OUTBOX, job_id=f"outbox:{row.id}")
    return row.id


async def emit_per_country(
    session: AsyncSession, event_type: str, countries: Iterable[str], payload: dict[str, Any]
) -> None:
    """``emit`` one change once per country it concerns (a programme or mandate covering
    several States: each subscription filters on one)."""
    for country in countries:
        await emit(session, event_type, country, payload)


async def claim_undispatched(session: AsyncSession, limit: int) -> list[int]:
    """Up to ``limit`` undispatched events, oldest first, locked for the rest of the
    caller's transaction; events another transaction holds are skipped (two dispatchers
    never fan out the same event)."""
    rows = await session.execute(
        text(
            "SELECT id FROM outbox WHERE dispatched_at IS NULL"
            " ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
        ),
        {"limit": limit},
    )
    return list(rows.scalars())


async def mark_dispatched(session: AsyncSession, ids: Sequence[int]) -> None:
    """The events fanned out: the next dispatch skips them."""
    if ids:
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(dispatched_at=func.now())
        )
