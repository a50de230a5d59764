"""Units of work of ingestion, shared by the worker's jobs and `followup ingest`.

Each step is its own transaction: a run is created, then listed (items recorded and,
for the worker, one job queued per item after commit), then each item is ingested in ONE
transaction together with its outcome. A failing document rolls back entirely and its
failure is recorded in a separate transaction. PostgreSQL holds every item's state, so
the sweeper can re-queue whatever Redis lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from shared import jobs
from shared.auth.schemas import WORKER, Actor
from shared.db import Database, unit_of_work
from shared.errors import one_line
from shared.ingestion import runs
from shared.ingestion.ingest import ingest_document, unchanged_result
from shared.ingestion.models import FINAL_ITEM_STATUSES
from shared.ingestion.repository import DocumentStore, IngestionRepository
from shared.ingestion.runs import list_job_id
from shared.ingestion.sources import (
    Fetched,
    FetchError,
    fetch,
    list_sources,
    make_client,
    parse_sources,
)
from shared.ingestion.storing import IngestError, IngestResult
from shared.kernel.shapes import record_of
from shared.queue import JobQueue, enqueue_after_commit
from shared.settings import Settings

log = structlog.get_logger(__name__)

# Items untouched this long while queued (or running, past any job timeout) are re-queued.
STUCK_AFTER = dt.timedelta(minutes=15)


def item_job_id(run_id: uuid.UUID | str, source_key: str, suffix: str = "") -> str:
    """Deterministic: enqueueing the same item of the same run twice is harmless."""
    digest = hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:20]
    return f"ingest:{run_id}:{digest}{suffix}"


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    item_id: uuid.UUID
    source_key: str
    status: str
    symbol: str | None
    created: int
    updated: int
    unresolved_names: list[str]
    error: str | None
    seconds: float
    result: IngestResult | None = None


async def start_run(
    db: Database, actor: Actor, *, trigger: runs.Trigger, sources: Sequence[Any]
) -> uuid.UUID:
    """A run listed by the caller itself (the CLI, tests), in its own unit of work."""
    async with unit_of_work(db.sessionmaker, None) as session:
        run = await runs.start_run(
            session, actor, trigger=trigger, sources=sources, enqueue_listing=False
        )
        return run.id


async def start_scheduled_run(
    db: Database, *, sources: Sequence[Any], not_within: dt.timedelta
) -> uuid.UUID | None:
    """A cron run, unless one started less than ``not_within`` ago; the caller lists it.

    arq keeps each cron tick unique across workers, but every worker also runs the job
    once at start-up; this keeps replicas that start together to one run.
    """
    async with unit_of_work(db.sessionmaker, None) as session:
        since = dt.datetime.now(dt.UTC) - not_within
        if await IngestionRepository(session).recent_run("cron", since) is not None:
            return None
        run = await runs.start_run(
            session, WORKER, trigger="cron", sources=sources, enqueue_listing=False
        )
        return run.id


async def list_run(
    db: Database,
    queue: JobQueue | None,
    settings: Settings,
    run_id: uuid.UUID,
    *,
    enqueue: bool,
    client: httpx.AsyncClient | None = None,
) -> list[uuid.UUID]:
    """List the run's sources into items (once); with ``enqueue``, one job per new item."""
    async with db.sessionmaker() as session:
        run = await IngestionRepository(session).run(run_id)
        if run is None or run.status != "listing":
            return []
        sources = parse_sources(run.sources)
    own_client = client is None
    client = client or make_client(settings)
    try:
        entries, errors = await list_sources(sources, client, settings.ingest_max_bytes)
    finally:
        if own_client:
            await client.aclose()
    async with unit_of_work(db.sessionmaker, queue) as session:
        run = await IngestionRepository(session).run(run_id, for_update=True)
        if run is None or run.status != "listing":
            return []
        ids = await runs.add_entries(session, run, entries, errors)
        if enqueue:
            keys = {e.key for e in entries}
            for item in await IngestionRepository(session).items(run_id):
                if item.id in ids and item.source_key in keys:
                    enqueue_after_commit(
                        session,
                        jobs.INGEST_DOCUMENT,
                        str(item.id),
                        job_id=item_job_id(run_id, item.source_key),
                    )
    log.info("ingestion_listed", run_id=str(run_id), items=len(ids), errors=len(errors))
    return ids


async def _read_file(path: str, max_bytes: int) -> bytes:
    def read() -> bytes:
        file = Path(path)
        size = file.stat().st_size
        if size > max_bytes:
            raise IngestError(f"{file.name} is {size} bytes, over the limit of {max_bytes} bytes")
        return file.read_bytes()

    return await asyncio.to_thread(read)


def _error_message(exc: BaseException) -> str:
    if isinstance(exc, (IngestError, FetchError)):
        return one_line(str(exc))
    if isinstance(exc, FileNotFoundError):
        return one_line(f"file not found: {exc.filename}")
    if isinstance(exc, OSError):
        return one_line(f"cannot read {exc.filename or 'the file'}: {exc.strerror or exc}")
    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
        return one_line(f"database error: {detail}")
    if isinstance(exc, SQLAlchemyError):
        return one_line(f"database error: {type(exc).__name__}: {exc}")
    return one_line(f"unexpected {type(exc).__name__}: {exc}")


async def process_item(
    db: Database,
    settings: Settings,
    item_id: uuid.UUID,
    *,
    client: httpx.AsyncClient | None = None,
    queue: JobQueue | None = None,
) -> ItemOutcome | None:
    """Ingest one item of a run; None when it was already done (jobs may run twice).

    ``queue`` receives the jobs other domains ask for while the document is applied
    (change notifications); without one they wait for those domains' sweeps.
    """
    started = time.perf_counter()
    async with unit_of_work(db.sessionmaker, None) as session:
        repo = IngestionRepository(session)
        item = await repo.item(item_id, for_update=True)
        if item is None or item.status in FINAL_ITEM_STATUSES:
            return None
        run_id, source_type, key = item.run_id, item.source_type, item.source_key
        await repo.update_item(
            item_id,
            {
                "status": "running",
                "attempts": item.attempts + 1,
                "started_at": dt.datetime.now(dt.UTC),
            },
        )
        cache = await repo.cache(key) if source_type == "url" else None
        # Conditional GET only once the document is stored: a failed one is fetched in full.
        cached = (
            (cache.etag, cache.last_modified, cache.sha256)
            if cache is not None
            and cache.sha256
            and await DocumentStore(session).file_exists(cache.sha256)
            else (None, None, None)
        )
    outcome: ItemOutcome
    try:
        fetched: Fetched | None = None
        filename: str | None
        if source_type == "file":
            data = await _read_file(key, settings.ingest_max_bytes)
            filename, media_type, source_url = Path(key).name, None, None
        else:
            own_client = client is None
            http = client or make_client(settings)
            try:
                fetched = await _fetch(http, key, settings, cached[0], cached[1])
            finally:
                if own_client:
                    await http.aclose()
            data, filename, media_type, source_url = (
                fetched.data,
                fetched.filename,
                fetched.content_type,
                key,
            )
        async with unit_of_work(db.sessionmaker, queue) as session:
            repo = IngestionRepository(session)
            if fetched is not None and fetched.not_modified:
                result = await _not_modified(session, cached[2] or "")
            else:
                result = await ingest_document(
                    session, data, filename=filename, source_url=source_url, media_type=media_type
                )
                if fetched is not None:
                    await repo.save_cache(
                        key,
                        etag=fetched.etag,
                        last_modified=fetched.last_modified,
                        sha256=result.sha256,
                        content_type=fetched.content_type,
                    )
            await repo.update_item(item_id, _item_values(result))
        outcome = record_of(
            ItemOutcome,
            result,
            item_id=item_id,
            source_key=key,
            status=result.outcome,
            error=None,
            seconds=time.perf_counter() - started,
            result=result,
        )
    except Exception as exc:
        message = _error_message(exc)
        if not isinstance(exc, (IngestError, FetchError, OSError)):
            log.warning("ingestion_item_failed", item_id=str(item_id), error=message, exc_info=True)
        async with unit_of_work(db.sessionmaker, None) as session:
            await IngestionRepository(session).update_item(
                item_id,
                {"status": "failed", "error": message, "finished_at": dt.datetime.now(dt.UTC)},
            )
        outcome = ItemOutcome(
            item_id=item_id,
            source_key=key,
            status="failed",
            symbol=None,
            created=0,
            updated=0,
            unresolved_names=[],
            error=message,
            seconds=time.perf_counter() - started,
        )
    async with unit_of_work(db.sessionmaker, None) as session:
        await IngestionRepository(session).finish_run_if_done(run_id)
    return outcome


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    settings: Settings,
    etag: str | None,
    last_modified: str | None,
) -> Fetched:
    return await fetch(
        client, url, max_bytes=settings.ingest_max_bytes, etag=etag, last_modified=last_modified
    )


async def _not_modified(session: Any, sha256: str) -> IngestResult:
    return await unchanged_result(
        DocumentStore(session), sha256, ["not modified since the last fetch (HTTP 304)"]
    )


def _item_values(result: IngestResult) -> dict[str, Any]:
    return {
        "status": result.outcome,
        "document_id": result.document_id,
        "symbol": result.symbol,
        "kind": result.kind,
        "sha256": result.sha256 or None,
        "recommendations_created": result.created,
        "recommendations_updated": result.updated,
        "positions_changed": result.positions_changed,
        "unresolved_names": result.unresolved_names,
        "warnings": [one_line(w, 300) for w in result.warnings[:200]],
        "error": None,
        "finished_at": dt.datetime.now(dt.UTC),
    }


async def sweep(
    db: Database, queue: JobQueue | None, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """Re-queue items and listings whose jobs Redis lost; finish runs left open."""
    now = now or dt.datetime.now(dt.UTC)
    window = f":sweep:{int(now.timestamp()) // int(STUCK_AFTER.total_seconds())}"
    requeued = relisted = finished = 0
    async with unit_of_work(db.sessionmaker, queue) as session:
        repo = IngestionRepository(session)
        stuck = await repo.stuck_items(now - STUCK_AFTER, limit=1000)
        for item_id, run_id, key, _status in stuck:
            enqueue_after_commit(
                session, jobs.INGEST_DOCUMENT, str(item_id), job_id=item_job_id(run_id, key, window)
            )
        await repo.touch_items([row[0] for row in stuck])
        requeued = len(stuck)
        for run_id in await repo.stuck_runs(now - STUCK_AFTER):
            run = await repo.run(run_id)
            if run is None:
                continue
            if run.status == "listing":
                enqueue_after_commit(
                    session,
                    jobs.INGESTION_LIST_RUN,
                    str(run_id),
                    job_id=list_job_id(run_id, window),
                )
                run.updated_at = now
                relisted += 1
            elif await repo.finish_run_if_done(run_id):
                finished += 1
    if requeued or relisted or finished:
        log.info("ingestion_swept", requeued=requeued, relisted=relisted, finished=finished)
    return {"requeued": requeued, "relisted": relisted, "finished": finished}
