"""National action plans, their actions (with updates, CSV import and export), the
actions addressing a recommendation (the accountability figure is under /v1/stats)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from services.api import edge
from services.api.deps import (
    Reader,
    ReadSession,
    RecommendationsWriter,
    StreamReader,
    StreamSession,
    WriteSession,
)
from shared.action_plans import actions, csv_import, service
from shared.action_plans.schemas import (
    ActionFilter,
    ActionImportReport,
    ActionIn,
    ActionOut,
    ActionPage,
    ActionPatch,
    ActionStatus,
    ActionUpdateIn,
    ActionUpdateOut,
    PlanIn,
    PlanOut,
    PlanPage,
    PlanPatch,
    PlanStatus,
)
from shared.institutions.csvio import csv_line

router = APIRouter(tags=["action plans"])


# --- plans -----------------------------------------------------------------------------------


@router.get("/v1/action-plans", response_model=PlanPage, summary="List action plans")
async def list_action_plans(
    paging: edge.Paging,
    session: ReadSession,
    _reader: Reader,
    country: edge.CountryParam = [],  # noqa: B006
    status: Annotated[list[PlanStatus], Query()] = [],  # noqa: B006
) -> PlanPage:
    """National human-rights action plans, by country then creation."""
    page = await service.list_plans(
        session,
        edge.country_codes(country),
        tuple(status),
        cursor=paging.cursor,
        limit=paging.limit,
    )
    return paging.answer_as(page, PlanPage)


@router.post(
    "/v1/action-plans",
    status_code=status.HTTP_201_CREATED,
    response_model=PlanOut,
    summary="Create an action plan",
)
async def create_action_plan(
    data: PlanIn, request: Request, session: WriteSession, actor: RecommendationsWriter
) -> Response:
    """Needs `recommendations:write` for the plan's country."""
    out = await service.create_plan(session, actor, data)
    return edge.created(request, out, "get_action_plan", plan_id=out.id)


@router.get("/v1/action-plans/{plan_id}", response_model=PlanOut, summary="One action plan")
async def get_action_plan(
    plan_id: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, _reader: Reader
) -> Response:
    """An action plan with its `ETag`."""
    return edge.current(service.plan_out(await service.get_plan(session, plan_id)), if_none_match)


@router.patch("/v1/action-plans/{plan_id}", response_model=PlanOut, summary="Change an action plan")
async def patch_action_plan(
    plan_id: uuid.UUID,
    data: PlanPatch,
    version: edge.IfMatch,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """Change title, period, status (draft, adopted, ended) or adoption reference;
    `If-Match` required."""
    return edge.versioned(await service.patch_plan(session, actor, plan_id, version, data))


@router.get(
    "/v1/action-plans/{plan_id}/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, one action a row"}},
    summary="Export a plan as CSV",
)
async def export_action_plan_csv(
    plan_id: uuid.UUID, session: StreamSession, _reader: StreamReader
) -> StreamingResponse:
    """The plan's actions, one a row (multi-valued cells joined by `; `; institutions by
    name, recommendations by ref). Streamed. Holds no personal data."""
    await service.get_plan(session, plan_id)

    async def rows() -> AsyncIterator[bytes]:
        yield csv_line(list(service.EXPORT_COLUMNS)).encode()
        async for batch in csv_import.export_rows(session, plan_id):
            buffer = io.StringIO()
            csv.writer(buffer).writerows(batch)
            yield buffer.getvalue().encode()

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="action-plan-{plan_id}.csv"'},
    )


# --- actions ---------------------------------------------------------------------------------


def action_filter(
    status: Annotated[list[ActionStatus], Query()] = [],  # noqa: B006
    institution: Annotated[uuid.UUID | None, Query(description="institution id")] = None,
    overdue: Annotated[
        bool | None, Query(description="due date passed, neither completed nor cancelled")
    ] = None,
) -> ActionFilter:
    """The filters both action lists share (what the actions belong to comes from the path)."""
    return ActionFilter(
        statuses=tuple(dict.fromkeys(status)), institution_id=institution, overdue=overdue
    )


Filter = Annotated[ActionFilter, Depends(action_filter)]


@router.get(
    "/v1/action-plans/{plan_id}/actions", response_model=ActionPage, summary="Actions of a plan"
)
async def list_actions(
    plan_id: uuid.UUID, f: Filter, paging: edge.Paging, session: ReadSession, _reader: Reader
) -> ActionPage:
    """The plan's actions in the order they were added."""
    page = await actions.list_actions(
        session, replace(f, plan_id=plan_id), cursor=paging.cursor, limit=paging.limit
    )
    return paging.answer_as(page, ActionPage)


@router.post(
    "/v1/action-plans/{plan_id}/actions",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionOut,
    summary="Add an action",
)
async def create_action(
    plan_id: uuid.UUID,
    data: ActionIn,
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """An action owned by institutions of the plan's country and linked to any number of
    its recommendations. A due date becomes a deadline (`/v1/deadlines`)."""
    out = await actions.create_action(session, actor, plan_id, data)
    return edge.created(request, out, "get_action", plan_id=plan_id, action_id=out.id)


@router.post(
    "/v1/action-plans/{plan_id}/actions/import",
    response_model=ActionImportReport,
    openapi_extra=edge.CSV_UPLOAD,
    summary="Import actions from CSV",
)
async def import_actions(
    plan_id: uuid.UUID, body: edge.CsvUpload, session: WriteSession, actor: RecommendationsWriter
) -> ActionImportReport:
    """A CSV file (the `text/csv` body, or the `file` field of a form), one action a row.
    Columns: `description` (required), `institutions` (names of the country's
    institutions, `;`-separated), `recommendations` (refs or ids, `;`-separated),
    `indicators` (`;`-separated),
    `budget`, `currency`, `start_date`, `due_date` (YYYY-MM-DD), `status`. The export's
    `action_id` and `latest_update` columns are accepted and ignored: every row creates
    an action. All or nothing: one bad row rejects the file with 422 and an `errors`
    entry per problem naming its spreadsheet `row` (the header is row 1)."""
    return await csv_import.import_actions(session, actor, plan_id, body)


@router.get(
    "/v1/action-plans/{plan_id}/actions/{action_id}", response_model=ActionOut, summary="One action"
)
async def get_action(
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    if_none_match: edge.IfNoneMatch,
    session: ReadSession,
    _reader: Reader,
) -> Response:
    """An action with its `ETag`."""
    row = await actions.get_action(session, plan_id, action_id)
    return edge.current(await actions.action_out(session, row), if_none_match)


@router.patch(
    "/v1/action-plans/{plan_id}/actions/{action_id}",
    response_model=ActionOut,
    summary="Change an action",
)
async def patch_action(
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    data: ActionPatch,
    version: edge.IfMatch,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """Change an action (`If-Match` required); lists given replace the current ones. Its
    status changes by posting an update."""
    return edge.versioned(
        await actions.patch_action(session, actor, plan_id, action_id, version, data)
    )


@router.post(
    "/v1/action-plans/{plan_id}/actions/{action_id}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=ActionUpdateOut,
    summary="Report progress on an action",
)
async def create_action_update(
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    data: ActionUpdateIn,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> ActionUpdateOut:
    """Append an update (status, narrative); the action takes its status. Updates are
    never changed or removed."""
    return await actions.add_update(session, actor, plan_id, action_id, data)


@router.get(
    "/v1/action-plans/{plan_id}/actions/{action_id}/updates",
    response_model=list[ActionUpdateOut],
    summary="Progress history of an action",
)
async def list_action_updates(
    plan_id: uuid.UUID, action_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> list[ActionUpdateOut]:
    """Every update of the action, oldest first."""
    return await actions.list_updates(session, plan_id, action_id)


@router.get(
    "/v1/recommendations/{rec_id}/actions",
    response_model=ActionPage,
    tags=["recommendations"],
    summary="Actions addressing a recommendation",
)
async def list_recommendation_actions(
    rec_id: uuid.UUID, f: Filter, paging: edge.Paging, session: ReadSession, _reader: Reader
) -> ActionPage:
    """The actions of any plan linked to this recommendation."""
    page = await actions.list_actions(
        session, replace(f, recommendation_id=rec_id), cursor=paging.cursor, limit=paging.limit
    )
    return paging.answer_as(page, ActionPage)
