"""The worker killed with SIGKILL in the middle of a large ingestion, Redis emptied too:
after a restart and a sweep, every document is done once and nothing is duplicated."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import text

from shared.ingestion import pipeline
from shared.queue import connect_queue
from tests.data import UPR_DATA, require
from tests.fault.conftest import Stack

ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = str(Path(sys.executable).parent / "followup")


async def _count(stack: Stack, sql: str) -> int:
    async with stack.db.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_sigkill_during_ingestion_loses_and_doubles_nothing(stack: Stack) -> None:
    folder = require(UPR_DATA / "reports" / "pdf")
    total = len(list(folder.glob("*.pdf")))
    env = {
        **os.environ,
        "DATABASE_URL": stack.pg.url,
        "REDIS_URL": stack.redis.url,
        "INGEST_SOURCES": json.dumps([{"type": "folder", "path": str(folder)}]),
        "LOG_LEVEL": "WARNING",
    }
    worker = await asyncio.create_subprocess_exec(
        FOLLOWUP,
        "worker",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    done_sql = "SELECT count(*) FROM ingestion_items WHERE status IN ('new', 'updated', 'failed')"
    try:
        for _ in range(1200):
            if await _count(stack, done_sql) >= 3:
                break
            await asyncio.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    done_before = await _count(stack, done_sql)
    assert 3 <= done_before < total, "the crash should fall in the middle of the run"

    # Redis loses everything too; PostgreSQL still knows what was left undone.
    queue = connect_queue(stack.redis.url)
    await queue.redis.flushall()
    later = dt.datetime.now(dt.UTC) + pipeline.STUCK_AFTER + dt.timedelta(minutes=1)
    swept = await pipeline.sweep(stack.db, queue, now=later)
    await queue.close()
    assert swept["requeued"] == total - done_before

    restart = await asyncio.create_subprocess_exec(
        FOLLOWUP,
        "worker",
        "--burst",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(restart.wait(), 600) == 0

    assert await _count(stack, "SELECT count(*) FROM ingestion_items") == total
    assert await _count(stack, done_sql) == total
    assert await _count(stack, "SELECT count(*) FROM ingestion_items WHERE status = 'failed'") == 0
    # Each report stored once, each of its recommendations once.
    assert await _count(stack, "SELECT count(*) FROM documents") == total
    assert (
        await _count(
            stack,
            "SELECT count(*) FROM (SELECT sha256 FROM documents GROUP BY sha256"
            " HAVING count(*) > 1) d",
        )
        == 0
    )
    assert (
        await _count(
            stack,
            "SELECT count(*) FROM (SELECT document_symbol, paragraph FROM recommendations"
            " GROUP BY 1, 2 HAVING count(*) > 1) d",
        )
        == 0
    )
