"""Runs end to end in-process: folder and HTTP sources, conditional GET, limits, failures."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arq.jobs import Job, JobStatus
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.auth.schemas import OPERATOR
from shared.db import Database
from shared.ingestion import ingest as ingest_step
from shared.ingestion import pipeline
from shared.ingestion.models import IngestionItem, IngestionRun, SourceCache
from shared.queue import JobQueue
from shared.settings import Settings
from tests.ingestion_db.helpers import C3_ADD1, C3_REPORT, count, positions, slovenia
from tests.ingestion_db.server import Served, serve

PDF = "application/pdf"


@pytest.fixture
def served() -> Iterator[Served]:
    files = {
        "/docs/report.pdf": (slovenia(C3_REPORT).read_bytes(), PDF),
        "/docs/add1.pdf": (slovenia(C3_ADD1).read_bytes(), "application/octet-stream"),
    }
    with serve(files) as served:
        served.files["/index.html"] = (
            (
                "<html><body><h1>Slovenia</h1>"
                f'<a href="/docs/report.pdf">report</a> <a href="{served.url("/docs/add1.pdf")}">'
                'views</a> <a href="/about">about</a> <a href="mailto:x@y.org">mail</a>'
                "</body></html>"
            ).encode(),
            "text/html; charset=utf-8",
        )
        yield served


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"ingest_max_bytes": 4096, "ingest_max_redirects": 3, "ingest_timeout_s": 10.0}
    )


async def run_once(db: Database, settings: Settings, sources: list[dict[str, Any]]) -> uuid.UUID:
    run_id = await pipeline.start_run(db, OPERATOR, trigger="cli", sources=sources)
    for item_id in await pipeline.list_run(db, None, settings, run_id, enqueue=False):
        await pipeline.process_item(db, settings, item_id)
    return run_id


async def items(session: AsyncSession, run_id: uuid.UUID) -> dict[str, IngestionItem]:
    rows = await session.execute(
        select(IngestionItem)
        .where(IngestionItem.run_id == run_id)
        .execution_options(populate_existing=True)
    )
    return {i.source_key.rsplit("/", 1)[-1]: i for i in rows.scalars()}


async def run_row(session: AsyncSession, run_id: uuid.UUID) -> IngestionRun:
    row = await session.get(IngestionRun, run_id, populate_existing=True)
    assert row is not None
    return row


async def test_folder_run_ingests_and_finishes(
    db: Database, settings: Settings, session: AsyncSession, tmp_path: Path
) -> None:
    for name in (C3_REPORT, C3_ADD1):
        (tmp_path / name).write_bytes(slovenia(name).read_bytes())
    (tmp_path / "notes.md").write_text("not a document")
    run_id = await run_once(db, settings, [{"type": "folder", "path": str(tmp_path)}])
    got = await items(session, run_id)
    assert set(got) == {C3_REPORT, C3_ADD1}
    assert got[C3_ADD1].status == "new"  # sorted first: applied once the report arrived
    assert got[C3_REPORT].recommendations_created == 215
    assert await positions(session, "A/HRC/43/15") == {"supported": 182, "noted": 33}
    run = await run_row(session, run_id)
    assert run.status == "finished"
    assert run.finished_at is not None

    again = await run_once(db, settings, [{"type": "folder", "path": str(tmp_path)}])
    assert {i.status for i in (await items(session, again)).values()} == {"unchanged"}


async def test_http_source_conditional_get(
    db: Database, settings: Settings, session: AsyncSession, served: Served
) -> None:
    url = served.url("/docs/report.pdf")
    first = await run_once(db, settings, [{"type": "urls", "urls": [url]}])
    item = (await items(session, first))["report.pdf"]
    assert (item.status, item.symbol, item.recommendations_created) == ("new", "A/HRC/43/15", 215)
    cache = await session.get(SourceCache, url, populate_existing=True)
    assert cache is not None
    assert cache.etag
    assert cache.sha256 == item.sha256
    before = await count(session, "recommendations")

    second = await run_once(db, settings, [{"type": "urls", "urls": [url]}])
    item = (await items(session, second))["report.pdf"]
    assert item.status == "unchanged"
    assert any("304" in w for w in item.warnings)
    assert item.document_id is not None
    assert served.hits[("/docs/report.pdf", 304)] == 1
    assert served.hits[("/docs/report.pdf", 200)] == 1
    assert await count(session, "recommendations") == before


async def test_index_source_follows_document_links(
    db: Database, settings: Settings, session: AsyncSession, served: Served
) -> None:
    run_id = await run_once(db, settings, [{"type": "index", "url": served.url("/index.html")}])
    got = await items(session, run_id)
    assert set(got) == {"report.pdf", "add1.pdf"}
    assert {i.status for i in got.values()} == {"new"}
    assert await positions(session, "A/HRC/43/15") == {"supported": 182, "noted": 33}


async def test_limits_refuse_size_type_and_redirect_loops(
    db: Database, limited: Settings, session: AsyncSession, served: Served
) -> None:
    urls = [served.url(p) for p in ("/big.pdf", "/image.png", "/loop/0", "/missing.pdf")]
    run_id = await run_once(db, limited, [{"type": "urls", "urls": urls}])
    got = await items(session, run_id)
    assert {k: v.status for k, v in got.items()} == dict.fromkeys(
        ("big.pdf", "image.png", "0", "missing.pdf"), "failed"
    )
    assert "over the limit of 4096 bytes" in (got["big.pdf"].error or "")
    assert "refused content type 'image/png'" in (got["image.png"].error or "")
    assert "more than 3 redirects" in (got["0"].error or "")
    assert "HTTP 404" in (got["missing.pdf"].error or "")
    assert await count(session, "documents") == 0
    assert (await run_row(session, run_id)).status == "finished"


async def test_bounded_redirect_is_followed(
    db: Database, settings: Settings, session: AsyncSession, served: Served
) -> None:
    run_id = await run_once(
        db, settings, [{"type": "urls", "urls": [served.url("/moved/report.pdf")]}]
    )
    assert (await items(session, run_id))["report.pdf"].status == "new"


async def test_failing_document_writes_nothing_partial(
    db: Database,
    settings: Settings,
    session: AsyncSession,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / C3_REPORT).write_bytes(slovenia(C3_REPORT).read_bytes())

    async def broken_hooks(*args: object) -> None:
        raise RuntimeError("deadline rules exploded")

    # Fails after every row of the document has been written in its transaction.
    monkeypatch.setattr(ingest_step, "_hooks", broken_hooks)
    run_id = await run_once(db, settings, [{"type": "folder", "path": str(tmp_path)}])
    item = (await items(session, run_id))[C3_REPORT]
    assert item.status == "failed"
    assert item.error == "unexpected RuntimeError: deadline rules exploded"
    for table in (
        "documents",
        "document_files",
        "recommendations",
        "recommending_states",
        "position_changes",
    ):
        assert await count(session, table) == 0, table

    monkeypatch.undo()
    retry = await run_once(db, settings, [{"type": "folder", "path": str(tmp_path)}])
    assert (await items(session, retry))[C3_REPORT].status == "new"


async def test_unknown_state_fails_with_a_clear_message(
    db: Database, settings: Settings, session: AsyncSession, tmp_path: Path
) -> None:
    text = slovenia("C3_A_HRC_43_15_WG_report.txt").read_text(encoding="utf-8")
    (tmp_path / "atlantis.txt").write_text(
        text.replace("Slovenia", "Atlantis").replace("SVN", "XXX")
    )
    (tmp_path / "legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    run_id = await run_once(db, settings, [{"type": "folder", "path": str(tmp_path)}])
    got = await items(session, run_id)
    assert got["atlantis.txt"].error == (
        "A/HRC/43/15: the State under review 'Atlantis' is not a known State"
    )
    assert (got["legacy.doc"].error or "").startswith("UnsupportedFormat")
    assert await count(session, "documents") == 0


async def test_missing_folder_is_a_run_error(
    db: Database, settings: Settings, session: AsyncSession, tmp_path: Path
) -> None:
    run_id = await run_once(db, settings, [{"type": "folder", "path": str(tmp_path / "nope")}])
    run = await run_row(session, run_id)
    assert run.status == "finished"
    assert run.errors
    assert "no folder" in run.errors[0]


async def test_sweeper_requeues_items_redis_lost(
    db: Database, settings: Settings, session: AsyncSession, clean_redis: JobQueue, tmp_path: Path
) -> None:
    (tmp_path / C3_ADD1).write_bytes(slovenia(C3_ADD1).read_bytes())
    run_id = await pipeline.start_run(
        db, OPERATOR, trigger="cron", sources=[{"type": "folder", "path": str(tmp_path)}]
    )
    # Listed with no queue at all: the jobs never reached Redis.
    [item_id] = await pipeline.list_run(db, None, settings, run_id, enqueue=True)
    assert await clean_redis.redis.zcard("arq:queue") == 0

    assert (await pipeline.sweep(db, clean_redis))["requeued"] == 0  # not stuck yet
    later = dt.datetime.now(dt.UTC) + pipeline.STUCK_AFTER + dt.timedelta(minutes=1)
    swept = await pipeline.sweep(db, clean_redis, now=later)
    assert swept["requeued"] == 1
    keys = [k.decode() for k in await clean_redis.redis.zrange("arq:queue", 0, -1)]
    assert len(keys) == 1
    assert keys[0].startswith(f"ingest:{run_id}:")
    assert await Job(keys[0], clean_redis.redis).status() == JobStatus.queued
    # A run whose listing job was lost is listed again.
    lost = await pipeline.start_run(db, OPERATOR, trigger="api", sources=[])
    await session.execute(
        update(IngestionRun)
        .where(IngestionRun.id == lost)
        .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    )
    assert (await pipeline.sweep(db, clean_redis, now=later))["relisted"] == 1
    # The job itself is idempotent: a second run of a finished item does nothing.
    assert (await pipeline.process_item(db, settings, item_id)) is not None
    assert (await pipeline.process_item(db, settings, item_id)) is None


async def test_every_start_is_audited(db: Database, session: AsyncSession, tmp_path: Path) -> None:
    sources = [{"type": "folder", "path": str(tmp_path)}]
    by_cli = await pipeline.start_run(db, OPERATOR, trigger="cli", sources=sources)
    by_cron = await pipeline.start_scheduled_run(
        db, sources=sources, not_within=dt.timedelta(minutes=10)
    )
    assert by_cron is not None
    rows = await session.execute(
        select(AuditEntry.entity_id, AuditEntry.actor).where(
            AuditEntry.action == "ingestion.run_started",
            AuditEntry.entity_id.in_([str(by_cli), str(by_cron)]),
        )
    )
    assert dict(rows.all()) == {
        str(by_cli): "operator",
        str(by_cron): "worker",
    }
