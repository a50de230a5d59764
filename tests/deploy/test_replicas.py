"""Two API processes and two workers on one PostgreSQL and one Redis.

Each cron job runs once per tick across the workers, the start-up ingestion runs once,
no document is ingested twice, and both API replicas serve the same data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

import shared.models  # noqa: F401  (every table, so foreign keys resolve)
from scripts.servers import Postgres, Redis, free_port
from shared import jobs
from shared.notifications import webhooks
from shared.notifications.models import Subscription
from shared.queue import JobRequest, connect_queue
from shared.settings import Settings
from tests.data import UPR_DATA, require
from tests.deadline_rows import country_deadline
from tests.notifications.helpers import receiver

ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = str(Path(sys.executable).parent / "followup")
DOCUMENTS = (
    "reports/slovenia/C3_A_HRC_43_15_WG_report.pdf",
    "reports/slovenia/C3_A_HRC_43_15_Add1_views.pdf",
    "reports/slovenia/C4_A_HRC_59_15_WG_report.pdf",
    "matrices/slovenia_UPR48_2025_thematic_list.docx",
)


class Cluster:
    def __init__(self, engine: AsyncEngine, api_urls: list[str], redis_url: str) -> None:
        self.engine = engine
        self.api_urls = api_urls
        self.redis_url = redis_url


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in DOCUMENTS:
        shutil.copy(require(UPR_DATA / name), folder / Path(name).name)
    pg, redis = Postgres(), Redis()
    pg.start()
    redis.start()
    env = {
        **os.environ,
        "DATABASE_URL": pg.url,
        "REDIS_URL": redis.url,
        "INGEST_SOURCES": json.dumps([{"type": "folder", "path": str(folder)}]),
        "LOG_LEVEL": "WARNING",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    }
    processes: list[asyncio.subprocess.Process] = []
    engine = create_async_engine(pg.url)
    try:
        migrate = await asyncio.create_subprocess_exec(FOLLOWUP, "migrate", env=env, cwd=ROOT)
        assert await migrate.wait() == 0
        ports = [free_port(), free_port()]
        commands = [["worker"], ["worker"]] + [
            ["api", "--host", "127.0.0.1", "--port", str(p)] for p in ports
        ]
        for command in commands:
            processes.append(
                await asyncio.create_subprocess_exec(
                    FOLLOWUP,
                    *command,
                    env=env,
                    cwd=ROOT,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
        yield Cluster(engine, [f"http://127.0.0.1:{p}" for p in ports], redis.url)
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        await engine.dispose()
        pg.remove()
        redis.remove()


async def _scalar(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_two_workers_ingest_once_and_two_apis_agree(cluster: Cluster) -> None:
    for _ in range(600):
        finished = await _scalar(
            cluster.engine, "SELECT count(*) FROM ingestion_runs WHERE status = 'finished'"
        )
        if finished:
            break
        await asyncio.sleep(0.2)
    assert finished == 1
    # Both workers ran the start-up job; only one of them started a run.
    assert await _scalar(cluster.engine, "SELECT count(*) FROM ingestion_runs") == 1
    assert await _scalar(cluster.engine, "SELECT count(*) FROM ingestion_items") == len(DOCUMENTS)
    assert await _scalar(cluster.engine, "SELECT count(*) FROM documents") == len(DOCUMENTS)
    assert (
        await _scalar(
            cluster.engine,
            "SELECT count(*) FROM (SELECT ref FROM recommendations GROUP BY ref"
            " HAVING count(*) > 1) dup",
        )
        == 0
    )
    total = await _scalar(cluster.engine, "SELECT count(*) FROM recommendations")
    assert total == 215 + 254

    async with httpx.AsyncClient() as client:
        for url in cluster.api_urls:
            for _ in range(200):
                try:
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        facets = [
            (await client.get(f"{url}/v1/recommendations/facets", params={"country": "SVN"})).json()
            for url in cluster.api_urls
        ]
    assert facets[0] == facets[1]
    assert facets[0]["total"] == total
    positions = {v["value"]: v["count"] for v in facets[0]["position"]}
    # C3: 58 supported in the report, then 124 supported / 33 noted from the Add.1;
    # C4: the 2025 matrix gives 217 supported / 37 noted.
    assert positions == {"supported": 58 + 124 + 217, "noted": 33 + 37}


async def test_two_workers_deliver_each_reminder_once(cluster: Cluster, settings: Settings) -> None:
    sessionmaker = async_sessionmaker(cluster.engine, expire_on_commit=False)
    queue = connect_queue(cluster.redis_url)
    today = dt.datetime.now(dt.UTC).date()
    async with receiver() as hook:
        async with sessionmaker.begin() as session:
            session.add(
                Subscription(
                    id=uuid.uuid4(),
                    channel="webhook",
                    url=hook.url,
                    secret=webhooks.seal("whsec_replicas", settings.secret_key.get_secret_value()),
                    countries=["PRY"],
                    kinds=[],
                    lead_days=[90, 30, 7, 1],
                    overdue=True,
                    events=[],
                    active=True,
                )
            )
            for i in range(6):
                session.add(country_deadline(today + dt.timedelta(days=5), f"Follow-up report {i}"))
        # Two scans at once, as two workers' ticks would run them.
        for n in range(2):
            await queue.enqueue(JobRequest(jobs.SCAN_REMINDERS, job_id=f"scan-{n}"))
        for _ in range(300):
            delivered = await _scalar(
                cluster.engine, "SELECT count(*) FROM reminders WHERE status = 'delivered'"
            )
            if delivered >= 6:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)
        assert await _scalar(cluster.engine, "SELECT count(*) FROM reminders") == 6
        assert delivered == 6
        ids = hook.event_ids()
        assert len(ids) == 6
        assert len(set(ids)) == 6
    await queue.close()
