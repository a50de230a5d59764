"""Report drafts: Word documents a State hands in, built by the worker from tracked data."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from services.api import edge
from services.api.deps import LiveQueue, RecommendationsWriter, SettingsDep, WriteSession
from shared.reports import schemas, service

router = APIRouter(prefix="/v1/reports", tags=["reports"])
routes = edge.Routes(router)
F = TypeVar("F", bound=Callable[..., Any])

DOCX: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {service.MEDIA_TYPE: {}},
        "description": "the Word document (.docx)",
    }
}


def _queues_build(path: str, summary: str, **declaration: Any) -> Callable[[F], F]:
    """Declare a route that queues the build of a report for the worker: a POST answered
    with 202 and the report (follow it at `GET /v1/reports/{id}`)."""
    return router.post(
        path,
        status_code=status.HTTP_202_ACCEPTED,
        response_model=schemas.ReportOut,
        summary=summary,
        **declaration,
    )


@_queues_build("", "Draft a report")
async def create_report(
    data: schemas.ReportIn,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: RecommendationsWriter,
    settings: SettingsDep,
    _queue: LiveQueue,
) -> schemas.ReportOut:
    """Ask the worker for a Word draft of a report (202; follow `Location`).

    - `upr_midterm`: the State's UPR recommendations of `cycle`, grouped by cluster, each
      with its paragraph, text, recommending States, position, latest status and narrative
      (date, evidence), responsible institutions and linked actions; a summary table; NHRI
      and civil-society assessments in an annex.
    - `treaty_body_followup`: the same for the recommendations of one treaty body
      (`mechanism`, e.g. `CCPR`) that carry a follow-up deadline.

    `language` (`en`, `es`, `fr`) sets headings and labels; `clusters` groups by UHRI
    themes (default) or by the actions of the State's action plan (`action_plan_id`, or its
    latest plan). Needs `recommendations:write` for the State. A State, cycle or treaty
    body without recommendations is a 422 naming it.
    """
    row = await service.create(session, actor, data)
    edge.set_location(request, response, "get_report", report_id=row.id)
    return service.to_out(row, settings.public_base_url)


@router.get(
    "/draft",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={303: {"description": "the report, at Location"}},
    summary="The draft of a State and cycle",
)
async def draft_report(
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
    _queue: LiveQueue,
    country: Annotated[str, Query(min_length=3, max_length=3, description="State, ISO3")],
    kind: schemas.ReportKind = "upr_midterm",
    cycle: edge.CycleParam = None,
    language: schemas.Language = "en",
) -> Response:
    """The newest draft of a State's report for a cycle (303 to it), started when there is
    none yet: the link that mid-term reminders carry. Needs `recommendations:write` for
    the State."""
    row = await service.draft(session, actor, kind, country, cycle, language)
    return RedirectResponse(edge.location(request, "get_report", report_id=row.id), status_code=303)


@routes.read("/{report_id}", schemas.ReportOut, "A report and its status")
async def get_report(
    report_id: uuid.UUID,
    session: WriteSession,
    actor: RecommendationsWriter,
    settings: SettingsDep,
) -> schemas.ReportOut:
    """Where a report stands: `queued`, `running`, `ready` (download it from `file_url`) or
    `failed` (`error` says why; `POST .../retry` builds it again)."""
    return service.to_out(await service.get(session, actor, report_id), settings.public_base_url)


@router.get(
    "/{report_id}/file",
    response_class=Response,
    responses=DOCX | edge.errors(**{"409": "Not ready yet"}),
    summary="Download the .docx",
)
async def get_report_file(
    report_id: uuid.UUID, session: WriteSession, actor: RecommendationsWriter
) -> Response:
    """The Word document of a ready report (409 `report_not_ready` before)."""
    row, blob = await service.file(session, actor, report_id)
    cycle = f"-cycle{row.cycle}" if row.cycle is not None else ""
    name = f"{row.kind}-{row.country}{cycle}-{row.language}.docx"
    return Response(
        content=blob,
        media_type=service.MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "ETag": f'"{row.file_sha256}"',
        },
    )


@_queues_build(
    "/{report_id}/retry",
    "Build a report again",
    responses=edge.errors(**{"409": "Queued or running"}),
)
async def retry_report(
    report_id: uuid.UUID,
    session: WriteSession,
    actor: RecommendationsWriter,
    settings: SettingsDep,
    _queue: LiveQueue,
) -> schemas.ReportOut:
    """Queue a failed report again (or a ready one, to rebuild it with today's data);
    409 while it is queued or running."""
    row = await service.retry(session, actor, report_id)
    return service.to_out(row, settings.public_base_url)
