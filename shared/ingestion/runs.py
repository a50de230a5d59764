"""Rules of ingestion runs: starting them (one function for the API, the CLI and cron,
all audited), recording their documents, reading them back."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from shared import jobs
from shared.audit import service as audit
from shared.auth.schemas import Actor
from shared.errors import NotFound
from shared.ingestion.models import IngestionItem, IngestionRun
from shared.ingestion.repository import IngestionRepository
from shared.ingestion.schemas import ItemOut, RunCounts, RunDetail, RunOut
from shared.ingestion.sources import Entry, parse_sources, source_to_json
from shared.pagination import Page, decode_time_key, split_time_key_page
from shared.queue import enqueue_after_commit

Trigger = Literal["api", "cli", "cron"]


def list_job_id(run_id: uuid.UUID | str, suffix: str = "") -> str:
    return f"ingestion-list:{run_id}{suffix}"


async def create_run(
    session: AsyncSession,
    *,
    trigger: str,
    requested_by: str | None,
    sources: Sequence[Any],
) -> IngestionRun:
    """A run in state ``listing``; InvalidInput when a source is malformed."""
    parsed = parse_sources(sources)
    run = IngestionRun(
        id=uuid.uuid4(),
        trigger=trigger,
        requested_by=requested_by,
        status="listing",
        sources=[source_to_json(s) for s in parsed],
        errors=[],
        # The wall clock, not the transaction's start: runs started in one transaction
        # still list in the order they were started.
        created_at=dt.datetime.now(dt.UTC),
    )
    IngestionRepository(session).add_run(run)
    await session.flush()
    return run


async def start_run(
    session: AsyncSession,
    actor: Actor,
    *,
    trigger: Trigger,
    sources: Sequence[Any],
    enqueue_listing: bool,
) -> IngestionRun:
    """Start a run: the one way a run begins, over HTTP, from the CLI or from cron.

    The run is created in state ``listing`` and the start is audited in the caller's
    transaction; with ``enqueue_listing`` the worker is asked, after the commit, to list
    its sources (the CLI and cron list them themselves).
    """
    run = await create_run(session, trigger=trigger, requested_by=actor.name, sources=sources)
    if enqueue_listing:
        enqueue_after_commit(
            session, jobs.INGESTION_LIST_RUN, str(run.id), job_id=list_job_id(run.id)
        )
    audit.record(
        session,
        actor,
        "ingestion.run_started",
        "ingestion_run",
        str(run.id),
        after={"sources": run.sources},
    )
    return run


async def add_entries(
    session: AsyncSession, run: IngestionRun, entries: Sequence[Entry], errors: Sequence[str]
) -> list[uuid.UUID]:
    """Record the listed documents as queued items; the run is then ``running``."""
    repo = IngestionRepository(session)
    ids = await repo.add_items(run.id, [(e.source_type, e.key) for e in entries])
    run.errors = [*run.errors, *errors]
    run.status = "running"
    run.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await repo.finish_run_if_done(run.id)
    return ids


def _counts(raw: dict[str, int]) -> RunCounts:
    return RunCounts(**{k: v for k, v in raw.items() if k in RunCounts.model_fields})


def _run_out(run: IngestionRun, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": run.id,
        "trigger": run.trigger,
        "requested_by": run.requested_by,
        "status": run.status,
        "sources": list(run.sources),
        "errors": list(run.errors),
        "counts": _counts(counts),
        "created_at": run.created_at,
        "finished_at": run.finished_at,
    }


def item_out(item: IngestionItem) -> ItemOut:
    return ItemOut.model_validate(item, from_attributes=True)


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> RunDetail:
    repo = IngestionRepository(session)
    run = await repo.run(run_id)
    if run is None:
        raise NotFound(f"no ingestion run {run_id}")
    counts = (await repo.status_counts([run.id]))[run.id]
    items = [item_out(i) for i in await repo.items(run.id)]
    return RunDetail(**_run_out(run, counts), items=items)


async def list_runs(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[RunOut]:
    after = decode_time_key(cursor, "ingestion_runs", dt.datetime.fromisoformat)
    repo = IngestionRepository(session)
    rows = await repo.runs_page(after=after, limit=limit + 1)
    page, next_cursor = split_time_key_page(
        "ingestion_runs", rows, limit, lambda r: (r.created_at, r.id)
    )
    counts = await repo.status_counts([r.id for r in page])
    items = [RunOut(**_run_out(r, counts.get(r.id, {}))) for r in page]
    return Page(items=items, next_cursor=next_cursor)
