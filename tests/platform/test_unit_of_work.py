"""Jobs requested inside a unit of work reach Redis only after the commit."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import unit_of_work
from shared.queue import JobQueue, enqueue_after_commit, queue_depth


async def test_jobs_are_pushed_after_commit(
    sessionmaker: async_sessionmaker[AsyncSession], clean_redis: JobQueue
) -> None:
    async with unit_of_work(sessionmaker, clean_redis) as session:
        await session.execute(text("SELECT 1"))
        enqueue_after_commit(session, "ping", "x", job_id="after-commit")
        assert await queue_depth(clean_redis) == 0
    assert await queue_depth(clean_redis) == 1


async def test_jobs_are_dropped_on_rollback(
    sessionmaker: async_sessionmaker[AsyncSession], clean_redis: JobQueue
) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessionmaker, clean_redis) as session:
            enqueue_after_commit(session, "ping", "x", job_id="never")
            raise RuntimeError("boom")
    assert await queue_depth(clean_redis) == 0


async def test_redis_down_after_commit_loses_no_data(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    from shared.queue import connect_queue

    dead = connect_queue("redis://127.0.0.1:1/0")
    async with unit_of_work(sessionmaker, dead) as session:
        await session.execute(text("CREATE TEMP TABLE kept (x int)"))
        await session.execute(text("INSERT INTO kept VALUES (1)"))
        enqueue_after_commit(session, "ping", "x")
    async with sessionmaker() as session:
        assert (await session.execute(text("SELECT count(*) FROM kept"))).scalar_one() == 1
    await dead.close()
