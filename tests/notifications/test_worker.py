"""The real worker (`followup worker --burst` in a subprocess) delivering reminders and
change events to a real HTTP receiver: crash recovery, retries, the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import pickle
import signal
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.worker import reminders
from shared import jobs
from shared.db import unit_of_work
from shared.kernel import outbox
from shared.notifications import periodic, queueing, webhooks
from shared.notifications.models import DeliveryAttempt, Reminder, Subscription
from shared.queue import JobQueue, JobRequest
from shared.settings import Settings
from tests.deadline_rows import country_deadline
from tests.notifications.helpers import Receiver, receiver, truncate

ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = str(Path(sys.executable).parent / "followup")
SECRET = "whsec_worker_test"
ENV = {
    "WEBHOOK_ALLOW_HTTP": "true",
    "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    "WEBHOOK_TIMEOUT_S": "60",
    "REMINDER_DELIVERING_TIMEOUT_S": "1",
    "REMINDER_PENDING_GRACE_S": "600",
    "REMINDER_MAX_ATTEMPTS": "3",
    "REMINDER_BACKOFF_BASE_S": "0.2",
    "REMINDER_BACKOFF_MAX_S": "0.5",
    "LOG_JSON": "false",
}


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await truncate(engine)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await truncate(engine)


async def start_worker() -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        FOLLOWUP,
        "worker",
        "--burst",
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def run_worker(limit: float = 60) -> str:
    process = await start_worker()
    output, _ = await asyncio.wait_for(process.communicate(), limit)
    assert process.returncode == 0, output.decode(errors="replace")
    return output.decode(errors="replace")


async def webhook(
    sm: async_sessionmaker[AsyncSession], settings: Settings, url: str, **kw: object
) -> uuid.UUID:
    sub = Subscription(
        id=uuid.uuid4(),
        channel="webhook",
        url=url,
        secret=webhooks.seal(SECRET, settings.secret_key.get_secret_value()),
        countries=["PRY"],
        kinds=[],
        lead_days=[90, 30, 7, 1],
        overdue=True,
        events=[],
        active=True,
    )
    for key, value in kw.items():
        setattr(sub, key, value)
    async with sm.begin() as s:
        s.add(sub)
    return sub.id


async def due_reminders(
    sm: async_sessionmaker[AsyncSession], queue: JobQueue, count: int
) -> list[uuid.UUID]:
    today = dt.datetime.now(dt.UTC).date()
    async with sm.begin() as s:
        for i in range(count):
            s.add(country_deadline(today + dt.timedelta(days=7), f"Follow-up report {i}"))
    async with unit_of_work(sm, queue) as s:
        result = await periodic.scan(s, today)
    assert result.created == count
    async with sm() as s:
        return list((await s.execute(select(Reminder.id))).scalars())


async def states(sm: async_sessionmaker[AsyncSession]) -> dict[uuid.UUID, Reminder]:
    async with sm() as s:
        return {r.id: r for r in (await s.execute(select(Reminder))).scalars()}


async def attempts(sm: async_sessionmaker[AsyncSession]) -> list[DeliveryAttempt]:
    async with sm() as s:
        rows = await s.execute(select(DeliveryAttempt).order_by(DeliveryAttempt.id))
        return list(rows.scalars())


def _verified(rec: Receiver) -> bool:
    return all(
        webhooks.verify(SECRET, r.headers["x-followup-signature"], r.body) for r in rec.requests
    )


async def test_each_reminder_is_delivered_once(
    committed: async_sessionmaker[AsyncSession], clean_redis: JobQueue, settings: Settings
) -> None:
    async with receiver() as rec:
        await webhook(committed, settings, rec.url)
        ids = await due_reminders(committed, clean_redis, 5)
        await run_worker()
    assert sorted(rec.event_ids()) == sorted(str(i) for i in ids)
    assert _verified(rec)
    assert {r.status for r in (await states(committed)).values()} == {"delivered"}
    assert len(await attempts(committed)) == 5


async def test_sigkill_mid_delivery_loses_nothing(
    committed: async_sessionmaker[AsyncSession], clean_redis: JobQueue, settings: Settings
) -> None:
    async with receiver(hang=True) as rec:
        await webhook(committed, settings, rec.url)
        ids = await due_reminders(committed, clean_redis, 3)
        worker = await start_worker()
        try:
            async with asyncio.timeout(30):
                while len(rec.requests) < 3:
                    rec.arrived.clear()
                    await rec.arrived.wait()
            # Sent, not yet acknowledged: the worker dies before it can record anything.
            assert {r.status for r in (await states(committed)).values()} == {"delivering"}
        finally:
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
        first_round = Counter(rec.event_ids())

        # Redis lost its jobs too (the worst case); only PostgreSQL knows what is left.
        await clean_redis.redis.flushdb()
        rec.hang = False
        rec.release.set()
        await asyncio.sleep(1.2)  # past REMINDER_DELIVERING_TIMEOUT_S
        assert await clean_redis.enqueue(JobRequest(jobs.SWEEP_REMINDERS, job_id="sweep-1"))
        await run_worker()

    second_round = Counter(rec.event_ids()) - first_round
    # Resent once each, with the same event ids, so the receiver can deduplicate.
    assert first_round == second_round == Counter(str(i) for i in ids)
    assert _verified(rec)
    rows = await states(committed)
    assert {r.status for r in rows.values()} == {"delivered"}
    assert {r.attempts for r in rows.values()} == {2}
    log = await attempts(committed)
    assert Counter(a.outcome for a in log) == {"unknown": 3, "delivered": 3}


async def test_failing_receiver_gets_retries_then_failed(
    committed: async_sessionmaker[AsyncSession], clean_redis: JobQueue, settings: Settings
) -> None:
    async with receiver(status=503) as rec:
        await webhook(committed, settings, rec.url)
        [reminder_id] = await due_reminders(committed, clean_redis, 1)
        await run_worker()
    assert rec.event_ids() == [str(reminder_id)] * 3  # REMINDER_MAX_ATTEMPTS
    row = (await states(committed))[reminder_id]
    assert row.status == "failed"
    assert row.failed_at is not None
    assert row.last_error == "the receiver answered 503"
    log = await attempts(committed)
    assert [(a.attempt, a.status_code, a.outcome) for a in log] == [
        (1, 503, "retry"),
        (2, 503, "retry"),
        (3, 503, "failed"),
    ]
    # Backoff: each retry waited.
    assert all(b.started_at > a.started_at for a, b in itertools.pairwise(log))


async def test_change_events_through_the_outbox(
    committed: async_sessionmaker[AsyncSession], clean_redis: JobQueue, settings: Settings
) -> None:
    event = "recommendation.position_changed"
    async with receiver() as rec, receiver() as other:
        chosen = await webhook(committed, settings, rec.url, events=[event])
        await webhook(committed, settings, other.url, events=["programme.updated"])
        await webhook(committed, settings, other.url, events=[event], countries=["URY"])
        payload = {"recommendation_id": "r-1", "position": "supported", "previous": "pending"}
        async with unit_of_work(committed, clean_redis) as s:
            await outbox.emit(s, event, "PRY", payload)
        # A change that rolls back emits nothing.
        with pytest.raises(RuntimeError):
            async with unit_of_work(committed, clean_redis) as s:
                await outbox.emit(s, event, "PRY", {"recommendation_id": "r-2"})
                raise RuntimeError("the change failed")
        await run_worker()
        # A second dispatch (a sweep) sends nothing again.
        assert await clean_redis.enqueue(JobRequest(jobs.SWEEP_REMINDERS, job_id="sweep-2"))
        await run_worker()
    assert other.requests == []
    assert len(rec.requests) == 1
    body = orjson.loads(rec.requests[0].body)
    assert body["type"] == event
    assert body["data"] == {"country": "PRY", **payload}
    assert rec.requests[0].headers["x-followup-event-type"] == event
    assert _verified(rec)
    rows = list((await states(committed)).values())
    assert [(r.subscription_id, r.status) for r in rows] == [(chosen, "delivered")]


async def test_sweeper_requeues_pending_reminders_whose_job_was_lost(
    committed: async_sessionmaker[AsyncSession], clean_redis: JobQueue, settings: Settings
) -> None:
    async with receiver() as rec:
        await webhook(committed, settings, rec.url)
        ids = await due_reminders(committed, clean_redis, 4)
        # Redis lost the delivery jobs before any worker ran them; the reminders stay
        # pending in PostgreSQL, for longer than REMINDER_PENDING_GRACE_S.
        await clean_redis.redis.flushdb()
        async with committed.begin() as s:
            await s.execute(
                update(Reminder).values(next_attempt_at=func.now() - dt.timedelta(hours=1))
            )
        await run_worker()
        assert rec.requests == []  # nothing left in Redis to run

        assert await clean_redis.enqueue(JobRequest(jobs.SWEEP_REMINDERS, job_id="sweep-lost"))
        await run_worker()
        # A later sweep finds nothing pending: nothing is sent twice.
        assert await clean_redis.enqueue(JobRequest(jobs.SWEEP_REMINDERS, job_id="sweep-again"))
        await run_worker()

    assert Counter(rec.event_ids()) == Counter(str(i) for i in ids)
    assert _verified(rec)
    rows = await states(committed)
    assert {r.status for r in rows.values()} == {"delivered"}
    assert {r.attempts for r in rows.values()} == {1}
    assert Counter(a.outcome for a in await attempts(committed)) == {"delivered": 4}


async def test_batch_fan_out_queues_each_reminder_once(clean_redis: JobQueue) -> None:
    ids = tuple(str(uuid.uuid4()) for _ in range(3))
    ctx = {"queue": clean_redis}
    assert await reminders.fan_out(ctx, ids) == 3
    # The same batch again (a job run twice): arq's job-id rule holds per reminder.
    assert await reminders.fan_out(ctx, ids) == 0
    assert (
        await clean_redis.enqueue(
            JobRequest(jobs.DELIVER_REMINDER, (ids[0],), job_id=queueing.delivery_job_id(ids[0]))
        )
        is False
    )
    queued = await clean_redis.redis.zrange("arq:queue", 0, -1)
    assert sorted(q.decode() for q in queued) == sorted(queueing.delivery_job_id(i) for i in ids)
    # The payload arq's worker reads (pickled by default): deliver_reminder(<id>).
    raw = await clean_redis.redis.get(f"arq:job:{queueing.delivery_job_id(ids[1])}")
    payload = pickle.loads(raw)  # noqa: S301 (our own test data)
    assert (payload["f"], payload["a"], payload["k"]) == (jobs.DELIVER_REMINDER, (ids[1],), {})
