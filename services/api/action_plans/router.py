"""National action plans, their actions (with updates, CSV import and export), the
actions addressing a recommendation (the accountability figure is under /v1/stats)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from services.api import deps, edge
from shared.action_plans import actions, csv_import, schemas, service
from shared.institutions.csvio import csv_line

router = APIRouter(tags=["action plans"])
routes = edge.Routes(router)
# What belongs to one plan: its export and its actions.
parts = edge.Routes(APIRouter(prefix="/v1/action-plans/{plan_id}"))


# A write to a plan or to one of its actions.
Plan = Annotated[
    edge.Target, edge.target_of("plan_id", deps.WriteSession, deps.RecommendationsWriter)
]


# --- plans -----------------------------------------------------------------------------------


@routes.read("/v1/action-plans", schemas.PlanPage, "List action plans")
async def list_action_plans(
    paging: edge.Paging,
    session: deps.ReadSession,
    _reader: deps.Reader,
    country: edge.CountryParam = [],  # noqa: B006
    status: Annotated[list[schemas.PlanStatus], Query()] = [],  # noqa: B006
) -> schemas.PlanPage:
    """National human-rights action plans, by country then creation."""
    countries = edge.country_codes(country)
    return await paging.fetch(
        schemas.PlanPage, service.list_plans, session, countries, tuple(status)
    )


@routes.create("/v1/action-plans", schemas.PlanOut, "Create an action plan")
async def create_action_plan(
    data: schemas.PlanIn,
    request: Request,
    session: deps.WriteSession,
    actor: deps.RecommendationsWriter,
) -> Response:
    """Needs `recommendations:write` for the plan's country."""
    out = await service.create_plan(session, actor, data)
    return edge.created(request, out, "get_action_plan", plan_id=out.id)


@routes.read("/v1/action-plans/{plan_id}", schemas.PlanOut, "One action plan")
async def get_action_plan(
    plan_id: uuid.UUID,
    if_none_match: edge.IfNoneMatch,
    session: deps.ReadSession,
    _reader: deps.Reader,
) -> Response:
    """An action plan with its `ETag`."""
    return edge.current(service.plan_out(await service.get_plan(session, plan_id)), if_none_match)


@routes.change("/v1/action-plans/{plan_id}", schemas.PlanOut, "Change an action plan")
async def patch_action_plan(
    data: schemas.PlanPatch, version: edge.IfMatch, target: Plan
) -> Response:
    """Change title, period, status (draft, adopted, ended) or adoption reference;
    `If-Match` required."""
    return edge.versioned(await service.patch_plan(*target.args, version, data))


@parts.router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, one action a row"}},
    summary="Export a plan as CSV",
)
async def export_action_plan_csv(
    plan_id: uuid.UUID, session: deps.StreamSession, _reader: deps.StreamReader
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
    status: Annotated[list[schemas.ActionStatus], Query()] = [],  # noqa: B006
    institution: Annotated[uuid.UUID | None, Query(description="institution id")] = None,
    overdue: Annotated[
        bool | None, Query(description="due date passed, neither completed nor cancelled")
    ] = None,
) -> schemas.ActionFilter:
    """The filters both action lists share (what the actions belong to comes from the path)."""
    return schemas.ActionFilter(
        statuses=tuple(dict.fromkeys(status)), institution_id=institution, overdue=overdue
    )


Filter = Annotated[schemas.ActionFilter, Depends(action_filter)]


async def plan_actions(plan_id: uuid.UUID, f: Filter) -> schemas.ActionFilter:
    return replace(f, plan_id=plan_id)


PlanActions = Annotated[schemas.ActionFilter, Depends(plan_actions)]


@parts.read("/actions", schemas.ActionPage, "Actions of a plan")
async def list_actions(
    f: PlanActions,
    paging: edge.Paging,
    session: deps.ReadSession,
    _reader: deps.Reader,
) -> schemas.ActionPage:
    """The plan's actions in the order they were added."""
    return await paging.fetch(schemas.ActionPage, actions.list_actions, session, f)


@parts.create("/actions", schemas.ActionOut, "Add an action")
async def create_action(target: Plan, data: schemas.ActionIn, request: Request) -> Response:
    """An action owned by institutions of the plan's country and linked to any number of
    its recommendations. A due date becomes a deadline (`/v1/deadlines`)."""
    out = await actions.create_action(*target.args, data)
    return edge.created(request, out, "get_action", plan_id=target.id, action_id=out.id)


@parts.router.post(
    "/actions/import",
    response_model=schemas.ActionImportReport,
    openapi_extra=edge.CSV_UPLOAD,
    summary="Import actions from CSV",
)
async def import_actions(body: edge.CsvUpload, target: Plan) -> schemas.ActionImportReport:
    """A CSV file (the `text/csv` body, or the `file` field of a form), one action a row.
    Columns: `description` (required), `institutions` (names of the country's
    institutions, `;`-separated), `recommendations` (refs or ids, `;`-separated),
    `indicators` (`;`-separated),
    `budget`, `currency`, `start_date`, `due_date` (YYYY-MM-DD), `status`. The export's
    `action_id` and `latest_update` columns are accepted and ignored: every row creates
    an action. All or nothing: one bad row rejects the file with 422 and an `errors`
    entry per problem naming its spreadsheet `row` (the header is row 1)."""
    return await csv_import.import_actions(*target.args, body)


@parts.read("/actions/{action_id}", schemas.ActionOut, "One action")
async def get_action(
    plan_id: uuid.UUID,
    action_id: uuid.UUID,
    if_none_match: edge.IfNoneMatch,
    session: deps.ReadSession,
    _reader: deps.Reader,
) -> Response:
    """An action with its `ETag`."""
    row = await actions.get_action(session, plan_id, action_id)
    return edge.current(await actions.action_out(session, row), if_none_match)


@parts.change("/actions/{action_id}", schemas.ActionOut, "Change an action")
async def patch_action(
    action_id: uuid.UUID, data: schemas.ActionPatch, version: edge.IfMatch, target: Plan
) -> Response:
    """Change an action (`If-Match` required); lists given replace the current ones. Its
    status changes by posting an update."""
    return edge.versioned(await actions.patch_action(*target.args, action_id, version, data))


@parts.create(
    "/actions/{action_id}/updates", schemas.ActionUpdateOut, "Report progress on an action"
)
async def create_action_update(
    action_id: uuid.UUID, data: schemas.ActionUpdateIn, target: Plan
) -> schemas.ActionUpdateOut:
    """Append an update (status, narrative); the action takes its status. Updates are
    never changed or removed."""
    return await actions.add_update(*target.args, action_id, data)


@parts.read(
    "/actions/{action_id}/updates", list[schemas.ActionUpdateOut], "Progress history of an action"
)
async def list_action_updates(
    plan_id: uuid.UUID, action_id: uuid.UUID, session: deps.ReadSession, _reader: deps.Reader
) -> list[schemas.ActionUpdateOut]:
    """Every update of the action, oldest first."""
    return await actions.list_updates(session, plan_id, action_id)


async def recommendation_actions(rec_id: uuid.UUID, f: Filter) -> schemas.ActionFilter:
    return replace(f, recommendation_id=rec_id)


RecommendationActions = Annotated[schemas.ActionFilter, Depends(recommendation_actions)]


@routes.read(
    "/v1/recommendations/{rec_id}/actions",
    schemas.ActionPage,
    "Actions addressing a recommendation",
    tags=["recommendations"],
)
async def list_recommendation_actions(
    f: RecommendationActions,
    paging: edge.Paging,
    session: deps.ReadSession,
    _reader: deps.Reader,
) -> schemas.ActionPage:
    """The actions of any plan linked to this recommendation."""
    return await paging.fetch(schemas.ActionPage, actions.list_actions, session, f)


router.include_router(parts.router)
