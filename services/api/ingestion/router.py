from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from services.api import edge
from services.api.deps import (
    AdminReader,
    GlobalAdminWriter,
    LiveQueue,
    ReadSession,
    SettingsDep,
    WriteSession,
)
from services.api.schemas import PageOut
from shared.ingestion import runs
from shared.ingestion.schemas import RunDetail, RunIn, RunOut
from shared.ingestion.sources import check_submitted, parse_sources

router = APIRouter(prefix="/v1/ingestion", tags=["ingestion"])


@router.post("/runs", status_code=202, response_model=RunDetail)
async def start_ingestion_run(
    request: Request,
    response: Response,
    session: WriteSession,
    actor: GlobalAdminWriter,
    settings: SettingsDep,
    _queue: LiveQueue,
    body: RunIn | None = None,
) -> RunDetail:
    """Start an ingestion run over the configured sources (or the sources in the body).

    The worker lists the sources, then ingests each document in its own job; follow the
    run at `Location`. Needs an `admin` key. Sources given here are checked: a folder must
    lie under `INGEST_FOLDER_ROOTS` (422 `folder_not_allowed`), a URL must resolve to
    public addresses only (422 `egress_refused`; the fetch checks again when it connects).
    """
    sources = body.sources if body is not None and body.sources is not None else None
    if sources is not None:
        # Sources from a request are not trusted as INGEST_SOURCES is: folders under
        # INGEST_FOLDER_ROOTS, URLs to public addresses only.
        await check_submitted(parse_sources(sources), settings)
    run = await runs.start_run(
        session,
        actor,
        trigger="api",
        sources=sources if sources is not None else settings.ingest_sources,
        enqueue_listing=True,
    )
    await session.flush()
    await session.refresh(run)
    edge.set_location(request, response, "get_ingestion_run", run_id=run.id)
    return await runs.get_run(session, run.id)


@router.get("/runs", response_model=PageOut[RunOut])
async def list_ingestion_runs(
    paging: edge.Paging, session: ReadSession, _admin: AdminReader
) -> PageOut[RunOut]:
    """Ingestion runs, newest first, with their documents counted by outcome.

    Needs an `admin` key.
    """
    return await paging.fetch(PageOut[RunOut], runs.list_runs, session)


@router.get("/runs/{run_id}", response_model=RunDetail)
async def get_ingestion_run(
    run_id: uuid.UUID, session: ReadSession, _admin: AdminReader
) -> RunDetail:
    """One ingestion run with each document's outcome (new, updated, unchanged, skipped,
    failed and why), the recommendations it created or changed and the unresolved names.

    Needs an `admin` key.
    """
    return await runs.get_run(session, run_id)
