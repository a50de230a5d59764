"""The cron path: download with a conditional GET from a real local HTTP server, import."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker import uhri as uhri_jobs
from shared.db import Database
from shared.queue import JobQueue
from shared.uhri import download, service
from shared.uhri.models import UhriImport
from shared.uhri.settings import UhriSettings
from tests.uhri_import.helpers import count, serve


async def test_cron_imports_then_304_changes_nothing(
    db: Database, session: AsyncSession, clean_redis: JobQueue, json_export: Path
) -> None:
    export_bytes = await asyncio.to_thread(json_export.read_bytes)
    with serve({"/export-full-en.json": export_bytes}) as served:
        url = served.url("/export-full-en.json")
        ctx = {"db": db, "queue": clean_redis, "uhri_settings": UhriSettings(export_url=url)}

        first = await uhri_jobs.import_uhri(ctx)
        assert first["status"] == "succeeded"
        assert first["created"] == 22
        stamp = await count(session, "SELECT count(*) FROM recommendations")
        assert stamp == 22

        second = await uhri_jobs.import_uhri(ctx)
        assert second["status"] == "not_modified"
        assert served.hits[("/export-full-en.json", 200)] == 1
        assert served.hits[("/export-full-en.json", 304)] == 1

    rows = (
        (
            await session.execute(
                select(UhriImport)
                .order_by(UhriImport.started_at)
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    assert [r.status for r in rows] == ["succeeded", "not_modified"]
    assert rows[0].etag
    assert rows[0].etag == rows[1].etag
    assert rows[0].last_modified
    assert rows[0].sha256
    assert rows[0].size == len(export_bytes)
    assert rows[0].trigger == "cron"
    assert rows[0].source == url
    assert (rows[1].created, rows[1].updated, rows[1].unchanged) == (0, 0, 0)
    assert await count(session, "SELECT max(version) FROM recommendations") == 1


async def test_cron_is_off_without_url(db: Database, clean_redis: JobQueue) -> None:
    ctx = {"db": db, "queue": clean_redis, "uhri_settings": UhriSettings(export_url=None)}
    assert await uhri_jobs.import_uhri(ctx) == {"status": "disabled"}
    assert uhri_jobs.cron_schedule(UhriSettings(export_url=None)) is None
    assert uhri_jobs.cron_schedule(UhriSettings(export_url="https://x.org/e.json")) == {
        "minute": {40},
        "hour": {3},
    }
    assert (
        uhri_jobs.cron_schedule(UhriSettings(export_url="https://x.org/e.json", cron="off")) is None
    )
    with pytest.raises(ValueError, match="UHRI_CRON"):
        uhri_jobs.cron_schedule(UhriSettings(export_url="https://x.org/e.json", cron="61 3"))


async def test_download_failures_are_recorded(
    db: Database, session: AsyncSession, clean_redis: JobQueue, json_export: Path
) -> None:
    export_bytes = await asyncio.to_thread(json_export.read_bytes)
    with serve({"/export-full-en.json": export_bytes}) as served:
        missing = served.url("/missing.json")
        result = await uhri_jobs.import_uhri(
            {"db": db, "queue": clean_redis, "uhri_settings": UhriSettings(export_url=missing)}
        )
        assert result["status"] == "failed"
        assert "HTTP 404" in result["error"]

        with pytest.raises(service.UhriImportFailed, match="over the limit"):
            await download.import_url(
                db.sessionmaker,
                served.url("/export-full-en.json"),
                settings=UhriSettings(max_bytes=1024),
            )
    rows = (
        (await session.execute(select(UhriImport).execution_options(populate_existing=True)))
        .scalars()
        .all()
    )
    assert sorted(r.status for r in rows) == ["failed", "failed"]
    assert await count(session, "SELECT count(*) FROM recommendations") == 0
