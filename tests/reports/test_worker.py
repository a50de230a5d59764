"""The real worker (`followup worker --burst`) building report drafts from Redis jobs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth.schemas import OPERATOR
from shared.db import unit_of_work
from shared.queue import JobQueue
from shared.reports import service
from shared.reports.models import Report
from shared.reports.repository import ReportRepository
from shared.reports.schemas import ReportIn
from tests.reports.docx_reading import open_docx, outline
from tests.reports.world import build_world
from tests.worker.test_burst import run_burst_worker

COUNTRY = "ISL"

CLEANUP = [
    "DELETE FROM reports WHERE country = :c",
    "DELETE FROM action_plans WHERE country = :c",
    "DELETE FROM deadlines WHERE country = :c",
    "DELETE FROM recommendations WHERE state_under_review = :c",
    "DELETE FROM documents WHERE state_under_review = :c",
]


async def _cleanup(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        # Updates are append-only (a trigger refuses deletes); the test's own go quietly.
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text(
                "DELETE FROM implementation_updates WHERE recommendation_id IN"
                " (SELECT id FROM recommendations WHERE state_under_review = :c)"
            ),
            {"c": COUNTRY},
        )
    async with engine.begin() as conn:
        for sql in CLEANUP:
            await conn.execute(text(sql), {"c": COUNTRY})


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await _cleanup(engine)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await _cleanup(engine)


async def _report(sm: async_sessionmaker[AsyncSession], report_id: uuid.UUID) -> Report:
    async with sm() as s:
        row = await ReportRepository(s).get(report_id)
        assert row is not None
        return row


async def test_worker_builds_reports_and_records_failures(
    committed: async_sessionmaker[AsyncSession], clean_redis: JobQueue
) -> None:
    async with committed.begin() as s:
        await build_world(s, COUNTRY)
    async with unit_of_work(committed, clean_redis) as s:
        midterm = await service.create(
            s, OPERATOR, ReportIn(kind="upr_midterm", country=COUNTRY, cycle=3, language="fr")
        )
        followup = await service.create(
            s,
            OPERATOR,
            ReportIn(kind="treaty_body_followup", country=COUNTRY, mechanism="CCPR"),
        )
    # The follow-up deadlines go away before the worker runs: that report must fail, say
    # why, and leave the other one alone.
    async with committed.begin() as s:
        await s.execute(text("DELETE FROM deadlines WHERE country = :c"), {"c": COUNTRY})

    code, output = await run_burst_worker()
    assert code == 0, output

    ready = await _report(committed, midterm.id)
    assert ready.status == "ready", ready.error
    assert ready.attempts == 1
    async with committed() as s:
        blob = await ReportRepository(s).file(midterm.id)
    assert blob is not None
    levels = [level for level, _ in outline(open_docx(blob))]
    assert levels.count(3) == ready.recommendations == 7

    failed = await _report(committed, followup.id)
    assert failed.status == "failed"
    assert failed.error == (
        "Iceland (ISL) has no CCPR recommendations with a follow-up deadline any more"
    )

    # A second run of the worker finds nothing to do: the failed report waits for a retry.
    code, output = await run_burst_worker()
    assert code == 0, output
    assert (await _report(committed, followup.id)).attempts == 1
