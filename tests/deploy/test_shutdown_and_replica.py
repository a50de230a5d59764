"""Graceful shutdown of the worker, and reads routed to a replica."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from arq.jobs import Job, JobStatus
from sqlalchemy import text
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from scripts.servers import free_port
from services.api.app import create_app
from shared import jobs
from shared.auth import service as keys
from shared.db import Database, unit_of_work
from shared.queue import JobQueue, JobRequest
from shared.settings import Settings
from tests.conftest import upgrade
from tests.recommendations import factory

ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = str(Path(sys.executable).parent / "followup")


async def test_sigterm_lets_a_running_job_finish(clean_redis: JobQueue) -> None:
    worker = await asyncio.create_subprocess_exec(
        FOLLOWUP,
        "worker",
        "--burst",
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await clean_redis.enqueue(JobRequest(jobs.PING, ("slow", 3.0), job_id="slow-ping"))
        job = Job("slow-ping", clean_redis.redis)
        for _ in range(200):
            if await job.status() == JobStatus.in_progress:
                break
            await asyncio.sleep(0.05)
        assert await job.status() == JobStatus.in_progress
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(worker.wait(), 30)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert code == 0
    assert await job.status() == JobStatus.complete
    assert (await job.result(timeout=1))["echo"] == "slow"


REPLICA = "followup_replica"


@pytest.fixture
async def databases(settings: Settings) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine, str]]:
    """The test database as primary, and a second database standing in for a replica."""
    url = make_url(settings.database_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{REPLICA}" WITH (FORCE)'))
        await conn.execute(text(f'CREATE DATABASE "{REPLICA}"'))
    replica_url = url.set(database=REPLICA).render_as_string(hide_password=False)
    primary = create_async_engine(settings.database_url)
    replica = create_async_engine(replica_url)
    async with replica.begin() as conn:
        await conn.run_sync(upgrade)
    try:
        yield primary, replica, replica_url
    finally:
        await primary.dispose()
        await replica.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{REPLICA}" WITH (FORCE)'))
        await admin.dispose()


async def test_reads_go_to_the_replica_and_writes_to_the_primary(
    settings: Settings,
    clean_redis: JobQueue,
    databases: tuple[AsyncEngine, AsyncEngine, str],
) -> None:
    primary_engine, replica_engine, replica_url = databases
    own = settings.model_copy(update={"database_replica_url": replica_url})
    db = Database(own)
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async with unit_of_work(async_sessionmaker(replica_engine, expire_on_commit=False), None) as s:
        doc = await factory.document(s, "A/HRC/99/1", "CHL", dt.date(2024, 1, 1))
        await factory.recommendation(s, doc, "1.1", "Only on the replica")
    async with unit_of_work(async_sessionmaker(primary_engine, expire_on_commit=False), None) as s:
        doc = await factory.document(s, "A/HRC/99/2", "PER", dt.date(2024, 1, 1))
        rec = await factory.recommendation(s, doc, "2.1", "Only on the primary")
        key = await keys.create_key(s, "writer", ["recommendations:write"], None)
    app = create_app(own, db=db, queue=clean_redis)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            listed = (await client.get("/v1/recommendations")).json()["items"]
            assert [i["text"] for i in listed] == ["Only on the replica"]
            patched = await client.patch(
                f"/v1/recommendations/{rec.id}",
                json={"themes": ["A12"]},
                headers={"Authorization": f"Bearer {key.key}", "If-Match": '"v1"'},
            )
            # Keys are looked up where the write goes; the write lands on the primary.
            assert patched.status_code == 200, patched.text
            assert patched.json()["themes"] == ["A12"]
    finally:
        await db.dispose()
        async with primary_engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log"))
            await conn.execute(text("DELETE FROM recommending_states"))
            await conn.execute(text("DELETE FROM recommendations"))
            await conn.execute(text("DELETE FROM documents"))
            await conn.execute(text("DELETE FROM api_keys"))


async def test_sigterm_lets_an_in_flight_request_finish() -> None:
    port = free_port()
    api = await asyncio.create_subprocess_exec(
        FOLLOWUP,
        "api",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        body = b'{"status": "in_progress", "narrative": "x", "source": "un"}'
        writer.write(
            b"POST /v1/recommendations/00000000-0000-0000-0000-000000000000/updates HTTP/1.1\r\n"
            b"Host: test\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        await writer.drain()
        await asyncio.sleep(0.3)
        api.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        assert api.returncode is None, "the server quit with a request in flight"
        writer.write(body[10:])
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 20)
        writer.close()
        assert response.startswith(b"HTTP/1.1 401"), response[:200]
        assert b"application/problem+json" in response
        # uvicorn finishes the request, then exits by re-raising the signal it caught.
        assert await asyncio.wait_for(api.wait(), 25) in (0, -signal.SIGTERM)
    finally:
        if api.returncode is None:
            api.kill()
            await api.wait()
