"""The spreadsheet round trip of a State's recommendations (XLSX)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from services.api.deps import Reader, ReadSession, RecommendationsWriter, WriteSession
from services.api.recommendations.router import Filter
from shared.spreadsheets import service
from shared.spreadsheets.export import MEDIA_TYPE

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])

XLSX: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_TYPE: {}}, "description": "the workbook (.xlsx)"}
}


class ImportOut(BaseModel):
    rows: int
    created: int
    unchanged: int
    draft_ids: list[uuid.UUID] = Field(
        description="the draft progress reports created, for the State's coordinators to"
        " submit and validate (/v1/progress-reports)"
    )


@router.get(
    "/export.xlsx", response_class=Response, responses=XLSX, summary="Export as a spreadsheet"
)
async def export_recommendations_xlsx(session: ReadSession, _reader: Reader, f: Filter) -> Response:
    """A State's recommendations as an Excel workbook to work on offline: one sheet per
    cycle, a frozen header, the government's latest `status`, `narrative`,
    `evidence_links` (one a line), `reported_on` and `author`, the `owner` institutions,
    and drop-down lists for positions and statuses. Same filters as the list; `country`
    is required. Edit the status, narrative and evidence columns and send the file back
    to `POST /v1/recommendations/import.xlsx`. A State or cycle without recommendations
    is a 422 naming it."""
    blob = await service.export_workbook(session, f)
    name = "-".join(f.countries) + "-recommendations.xlsx"
    return Response(
        content=blob,
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/import.xlsx",
    response_model=ImportOut,
    summary="Import progress from a spreadsheet",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_recommendations_xlsx(
    request: Request, session: WriteSession, actor: RecommendationsWriter
) -> ImportOut:
    """Bring an edited export back (the file as the request body). Each row whose
    `status`, `narrative` or `evidence_links` differ from the government's latest published
    update (and from every progress report still under review) becomes a draft progress
    report of the review workflow (`author` from the row or the caller's name), which the
    State's coordinators submit and validate to publish it; unchanged rows are skipped.

    All or nothing: a file that is not XLSX, unknown columns, formulas where values are
    expected, more than 50,000 rows, or any bad cell is a 422 (`errors` lists `{"sheet",
    "row", "column", "message"}`) and nothing is imported. Needs `recommendations:write`
    (a coordinator) for every State in the file (403 naming the others)."""
    result = await service.import_workbook(session, actor, await request.body())
    return ImportOut(
        rows=result.rows,
        created=result.created,
        unchanged=result.unchanged,
        draft_ids=result.draft_ids,
    )
