"""The reminder scan: one reminder per (deadline, subscription, window), whatever happens."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.deadlines.models import Deadline
from shared.notifications import periodic, queueing
from shared.notifications.models import Reminder, Subscription
from shared.queue import pending_jobs
from tests.deadline_rows import country_deadline
from tests.notifications.helpers import truncate

TODAY = dt.date(2031, 3, 1)


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions that really commit (concurrent scans need separate connections)."""
    await truncate(engine)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await truncate(engine)


def deadline(due: dt.date, country: str = "PRY", kind: str = "upr_midterm_report") -> Deadline:
    return country_deadline(due, f"{kind} {due}", country=country, kind=kind)


def subscription(countries: list[str] | None = None, **kw: object) -> Subscription:
    return Subscription(
        id=uuid.uuid4(),
        channel="email",
        address="focal.point@example.org",
        countries=countries or [],
        kinds=[],
        lead_days=[90, 30, 7, 1],
        overdue=True,
        events=[],
        active=True,
        **kw,
    )


async def _settle(sm: async_sessionmaker[AsyncSession], when: dt.datetime) -> None:
    """Make every row look old, as if created before the previous scan."""
    async with sm.begin() as s:
        await s.execute(text("UPDATE deadlines SET updated_at = :t"), {"t": when})
        await s.execute(text("UPDATE subscriptions SET updated_at = :t"), {"t": when})


async def _scan(sm: async_sessionmaker[AsyncSession], today: dt.date) -> list[str]:
    """The ids of the reminders the scan created, checked against the jobs it queued."""
    async with sm() as s:
        result = await periodic.scan(s, today)
        queued = pending_jobs(s)
        await s.commit()
    # One delivery job for a single reminder, batch jobs (fanned out by the worker) for
    # more: every reminder created is in exactly one of them.
    ids = [str(a) for j in queued for a in j.args]
    assert len(ids) == len(set(ids)) == result.created
    assert len(queued) == -(-result.created // queueing.DELIVERY_BATCH)
    assert all((j.job_id or "").startswith("reminder") for j in queued)
    return ids


async def _reminders(
    sm: async_sessionmaker[AsyncSession],
) -> list[tuple[uuid.UUID | None, int | None]]:
    async with sm() as s:
        rows = await s.execute(
            select(Reminder.deadline_id, Reminder.window_days).order_by(Reminder.window_days)
        )
        return [(r[0], r[1]) for r in rows]


async def test_windows_open_once_each(committed: async_sessionmaker[AsyncSession]) -> None:
    d30 = deadline(TODAY + dt.timedelta(days=30))
    d7 = deadline(TODAY + dt.timedelta(days=7), kind="hrc_response")
    other = deadline(TODAY + dt.timedelta(days=30), country="URY")
    overdue = deadline(TODAY - dt.timedelta(days=1))
    met = deadline(TODAY + dt.timedelta(days=30))
    met.status = "met"
    async with committed.begin() as s:
        s.add_all([d30, d7, other, overdue, met, subscription(["PRY"])])
    # A first scan establishes the watermark; it catches up on everything new.
    await _scan(committed, TODAY - dt.timedelta(days=1))
    async with committed.begin() as s:
        await s.execute(text("DELETE FROM reminders"))
    await _settle(committed, dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    async with committed.begin() as s:
        await s.execute(
            text("UPDATE reminder_scans SET started_at = :t"),
            {"t": dt.datetime(2001, 1, 1, tzinfo=dt.UTC)},
        )

    jobs = await _scan(committed, TODAY)
    assert sorted(await _reminders(committed)) == sorted(
        [(d30.id, 30), (d7.id, 7), (overdue.id, -1)]
    )
    assert len(jobs) == 3
    # The same day again, and the next day: nothing new for these windows.
    assert await _scan(committed, TODAY) == []
    assert await _scan(committed, TODAY + dt.timedelta(days=1)) == []
    # Six days later the 7-day deadline enters its 1-day window.
    await _scan(committed, TODAY + dt.timedelta(days=6))
    assert (d7.id, 1) in await _reminders(committed)
    async with committed() as s:
        missed = await s.get(Deadline, overdue.id)
        assert missed is not None
        assert missed.status == "missed"


async def test_new_deadline_gets_its_tightest_open_window(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed.begin() as s:
        s.add(subscription())
    await _scan(committed, TODAY)  # the subscription is new: nothing to catch up yet
    late = deadline(TODAY + dt.timedelta(days=5))
    far = deadline(TODAY + dt.timedelta(days=200))
    async with committed.begin() as s:
        s.add_all([late, far])
    await _scan(committed, TODAY)
    assert await _reminders(committed) == [(late.id, 7)]


async def test_repeated_and_concurrent_scans_never_duplicate(
    committed: async_sessionmaker[AsyncSession],
) -> None:
    async with committed.begin() as s:
        s.add_all([subscription() for _ in range(5)])
        s.add_all([subscription(["PRY", "URY"]) for _ in range(5)])
        s.add_all(
            [
                deadline(TODAY + dt.timedelta(days=d), c)
                for d in (1, 7, 30, 90)
                for c in ("PRY", "CHL")
            ]
        )
    expected = 4 * 2 * 5 + 4 * 1 * 5

    first = await asyncio.gather(*(_scan(committed, TODAY) for _ in range(4)))
    assert sum(len(j) for j in first) == expected
    # Forget the watermark, as if the scan state were lost: the unique constraint still
    # holds, even for two scans at once.
    async with committed.begin() as s:
        await s.execute(text("DELETE FROM reminder_scans"))
    again = await asyncio.gather(_scan(committed, TODAY), _scan(committed, TODAY))
    assert list(again) == [[], []]
    async with committed() as s:
        count = (await s.execute(select(func.count()).select_from(Reminder))).scalar_one()
        distinct = (
            await s.execute(
                text(
                    "SELECT count(DISTINCT (deadline_id, subscription_id, window_days))"
                    " FROM reminders"
                )
            )
        ).scalar_one()
    assert count == distinct == expected
