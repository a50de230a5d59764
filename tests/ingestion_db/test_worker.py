"""The real arq worker (`followup worker --burst`) ingesting from a real HTTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import jobs
from shared.auth.schemas import OPERATOR
from shared.db import Database
from shared.ingestion import pipeline
from shared.ingestion.runs import list_job_id
from shared.queue import JobQueue, JobRequest
from shared.settings import Settings
from tests.ingestion_db.helpers import C3_ADD1, C3_REPORT, slovenia, truncate
from tests.ingestion_db.server import serve
from tests.worker.test_burst import run_burst_worker


@pytest.fixture
async def committed(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Database]:
    """A Database that commits for real; what the test wrote is removed afterwards."""
    db = Database(settings.model_copy(update={"db_pool_size": 2, "db_max_overflow": 2}))
    try:
        yield db
    finally:
        await db.dispose()
        async with engine.begin() as conn:
            await truncate(conn)


async def test_burst_worker_ingests_a_run_from_http(
    committed: Database, engine: AsyncEngine, clean_redis: JobQueue
) -> None:
    files = {
        "/docs/report.pdf": (slovenia(C3_REPORT).read_bytes(), "application/pdf"),
        "/docs/add1.pdf": (slovenia(C3_ADD1).read_bytes(), "application/pdf"),
    }
    with serve(files) as served:
        sources = [{"type": "urls", "urls": [served.url(p) for p in files]}]
        run_id = await pipeline.start_run(committed, OPERATOR, trigger="api", sources=sources)
        request = JobRequest(jobs.INGESTION_LIST_RUN, (str(run_id),), job_id=list_job_id(run_id))
        assert await clean_redis.enqueue(request)
        assert not await clean_redis.enqueue(request)  # the same run twice: refused

        code, output = await run_burst_worker(limit=180)
        assert code == 0, output

    async with engine.connect() as conn:
        run = (
            await conn.execute(
                text("SELECT status, finished_at FROM ingestion_runs WHERE id = :id"),
                {"id": run_id},
            )
        ).one()
        assert run.status == "finished"
        assert run.finished_at is not None
        items = (
            await conn.execute(
                text("SELECT status, symbol, error FROM ingestion_items WHERE run_id = :id"),
                {"id": run_id},
            )
        ).all()
        assert sorted((i.status, i.symbol) for i in items) == [
            ("new", "A/HRC/43/15"),
            ("new", "A/HRC/43/15/Add.1"),
        ], items
        positions: dict[str, int] = dict(
            (
                await conn.execute(
                    text(
                        "SELECT position, count(*) FROM recommendations"
                        " WHERE document_symbol = 'A/HRC/43/15' GROUP BY position"
                    )
                )
            ).all()
        )
        assert positions == {"supported": 182, "noted": 33}
