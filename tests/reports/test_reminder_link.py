"""A UPR mid-term reminder links to the draft report of that State and cycle."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.reminders import deliver_reminder
from shared.db import Database
from shared.deadlines.models import Deadline
from shared.notifications.models import Reminder, Subscription
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.notifications.helpers import local_settings, smtp_server
from tests.reports.world import build_world


async def test_midterm_reminder_links_to_the_draft(
    session: AsyncSession,
    db: Database,
    clean_redis: JobQueue,
    settings: Settings,
    client: httpx.AsyncClient,
    api_keys: KeyFactory,
) -> None:
    world = await build_world(session)
    deadline = Deadline(
        id=uuid.uuid4(),
        kind="upr_midterm_report",
        due_date=dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30),
        subject_type="document",
        subject_id=str(world.upr.id),
        country="PRY",
        title="Paraguay: UPR mid-term report (cycle 3)",
        origin="derived",
        rule="upr.midterm_report",
        status="open",
    )
    sub = Subscription(
        id=uuid.uuid4(),
        channel="email",
        address="focal@example.org",
        countries=["PRY"],
        kinds=[],
        lead_days=[30],
        overdue=False,
        events=[],
        active=True,
    )
    session.add_all([deadline, sub])
    await session.flush()
    reminder = Reminder(
        id=uuid.uuid4(),
        subscription_id=sub.id,
        event_type="deadline.reminder",
        deadline_id=deadline.id,
        window_days=30,
        status="pending",
        attempts=0,
    )
    session.add(reminder)
    await session.commit()

    with smtp_server() as (url, mailbox):
        ctx = {"db": db, "queue": clean_redis, "settings": local_settings(settings, smtp_url=url)}
        assert await deliver_reminder(ctx, str(reminder.id)) == "delivered"
    text = mailbox[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    line = next(x for x in text.splitlines() if x.startswith("Draft:"))
    link = line.split(None, 1)[1]
    assert link.endswith("/v1/reports/draft?kind=upr_midterm&country=PRY&cycle=3")

    # The link opens the draft: created on first use, the same report afterwards.
    headers = await api_keys.headers("recommendations:write", countries=["PRY"])
    target = urlsplit(link)
    first = await client.get(f"{target.path}?{target.query}", headers=headers)
    assert first.status_code == 303
    report = await client.get(first.headers["location"], headers=headers)
    assert report.json()["kind"] == "upr_midterm"
    assert report.json()["cycle"] == 3
    second = await client.get(f"{target.path}?{target.query}", headers=headers)
    assert second.headers["location"] == first.headers["location"]
