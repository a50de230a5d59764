"""Institutions, recommendation owners, and national mechanisms for reporting and follow-up."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.api.deps import Reader, ReadSession, RecommendationsWriter, WriteSession
from services.api.etag import etag_for, not_modified, required_version
from services.api.pagination import LimitParam, link_header
from services.api.problems import PROBLEM_RESPONSES
from shared.institutions import national_mechanisms, service
from shared.institutions.schemas import (
    ImportReport,
    InstitutionFilter,
    InstitutionIn,
    InstitutionKind,
    InstitutionOut,
    InstitutionPage,
    InstitutionPatch,
    InstitutionRef,
    NationalMechanismIn,
    NationalMechanismOut,
    NationalMechanismPage,
    NationalMechanismPatch,
    OwnersIn,
)
from shared.kernel import validation
from shared.pagination import DEFAULT_LIMIT

router = APIRouter(tags=["institutions"], responses=PROBLEM_RESPONSES)

WRITE_RESPONSES: dict[int | str, dict[str, object]] = {
    412: PROBLEM_RESPONSES[400] | {"description": "Stale version"},
    428: PROBLEM_RESPONSES[400] | {"description": "If-Match required"},
}
CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}
Cursor = Annotated[str | None, Query(max_length=2000)]


def _countries(values: list[str]) -> tuple[str, ...]:
    problems = validation.Problems("query")
    codes = validation.countries(values, "country", problems)
    problems.raise_if_any()
    return codes


def _json(model: InstitutionOut | NationalMechanismOut, *, status_code: int = 200) -> Response:
    return Response(
        content=model.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag_for(model.version)},
    )


def _created(model: InstitutionOut | NationalMechanismOut, location: str) -> Response:
    response = _json(model, status_code=201)
    response.headers["Location"] = location
    return response


@router.get("/v1/institutions", response_model=InstitutionPage, summary="List institutions")
async def list_institutions(
    request: Request,
    response: Response,
    session: ReadSession,
    _reader: Reader,
    country: Annotated[list[str], Query(description="ISO3")] = [],  # noqa: B006
    kind: Annotated[list[InstitutionKind], Query()] = [],  # noqa: B006
    q: Annotated[
        str | None, Query(min_length=1, max_length=300, description="name contains")
    ] = None,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> InstitutionPage:
    """Institutions (ministries, agencies, parliament, judiciary, NHRI, civil society,
    other), ordered by country then name."""
    f = InstitutionFilter(countries=_countries(country), kinds=tuple(kind), q=q)
    page = await service.list_institutions(session, f, cursor=cursor, limit=limit)
    link_header(request, response, page.next_cursor)
    return InstitutionPage(items=page.items, next_cursor=page.next_cursor)


@router.post(
    "/v1/institutions",
    status_code=status.HTTP_201_CREATED,
    response_model=InstitutionOut,
    summary="Create an institution",
)
async def create_institution(
    data: InstitutionIn, request: Request, session: WriteSession, actor: RecommendationsWriter
) -> Response:
    """Needs `recommendations:write` for the institution's country."""
    out = await service.create_institution(session, actor, data)
    return _created(out, str(request.url_for("get_institution", ident=str(out.id))))


@router.post(
    "/v1/institutions/import",
    response_model=ImportReport,
    openapi_extra=CSV_BODY,
    summary="Import institutions from CSV",
)
async def import_institutions(
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
    country: Annotated[str, Query(min_length=3, max_length=3, description="ISO3")],
) -> ImportReport:
    """A `text/csv` body with the columns `name` (required), `kind` (ministry, agency,
    parliament, judiciary, nhri, civil_society, other; default other) and `acronym`.
    Names already known for the country (case-insensitive) are updated, others created.
    All or nothing: one bad row rejects the file with 422 and an `errors` entry per
    problem, each naming its spreadsheet `row` (the header is row 1)."""
    return await service.import_institutions(session, actor, country, await request.body())


@router.get(
    "/v1/institutions/{ident}",
    response_model=InstitutionOut,
    responses={304: {"description": "Not modified"}},
    summary="One institution",
)
async def get_institution(
    ident: uuid.UUID, request: Request, session: ReadSession, _reader: Reader
) -> Response:
    """An institution, with an `ETag` (`If-None-Match` gives 304)."""
    out = service.institution_out(await service.get_institution(session, ident))
    if not_modified(request, etag_for(out.version)):
        return Response(status_code=304, headers={"ETag": etag_for(out.version)})
    return _json(out)


@router.patch(
    "/v1/institutions/{ident}",
    response_model=InstitutionOut,
    responses=WRITE_RESPONSES,
    summary="Change an institution",
)
async def patch_institution(
    ident: uuid.UUID,
    data: InstitutionPatch,
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """Rename or re-classify an institution (`If-Match` required). A new name also
    replaces the old one in the `institutions` of the recommendations it owns."""
    version = required_version(request)
    return _json(await service.patch_institution(session, actor, ident, version, data))


@router.get(
    "/v1/recommendations/{rec_id}/institutions",
    response_model=list[InstitutionRef],
    tags=["recommendations"],
    summary="Owner institutions of a recommendation",
)
async def recommendation_owners(
    rec_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> list[InstitutionRef]:
    """The institutions responsible for a recommendation."""
    return await service.owners(session, rec_id)


@router.put(
    "/v1/recommendations/{rec_id}/institutions",
    response_model=list[InstitutionRef],
    responses=WRITE_RESPONSES,
    tags=["recommendations"],
    summary="Set the owner institutions of a recommendation",
)
async def set_recommendation_owners(
    rec_id: uuid.UUID,
    data: OwnersIn,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> list[InstitutionRef]:
    """Replace the owners of a recommendation by institution ids of its State. Send
    `If-Match` with the recommendation's ETag; the answer carries its new ETag. The
    recommendation's `institutions` names follow."""
    version = required_version(request)
    new_version = await service.set_owners(session, actor, rec_id, version, data.institution_ids)
    response.headers["ETag"] = etag_for(new_version)
    return await service.owners(session, rec_id)


# --- national mechanisms ---------------------------------------------------------------------


@router.get(
    "/v1/national-mechanisms",
    response_model=NationalMechanismPage,
    tags=["national mechanisms"],
    summary="List national mechanisms",
)
async def list_mechanisms(
    request: Request,
    response: Response,
    session: ReadSession,
    reader: Reader,
    country: Annotated[list[str], Query(description="ISO3")] = [],  # noqa: B006
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> NationalMechanismPage:
    """National mechanisms for reporting and follow-up, by country. `focal_points` are
    personal data: null unless the key has `personal_data:read` (or admin) and may
    write that country's data."""
    page = await national_mechanisms.list_mechanisms(
        session, reader, _countries(country), cursor=cursor, limit=limit
    )
    link_header(request, response, page.next_cursor)
    return NationalMechanismPage(items=page.items, next_cursor=page.next_cursor)


@router.post(
    "/v1/national-mechanisms",
    status_code=status.HTTP_201_CREATED,
    response_model=NationalMechanismOut,
    tags=["national mechanisms"],
    summary="Create a national mechanism",
)
async def create_mechanism(
    data: NationalMechanismIn,
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """One per country; needs `recommendations:write` for it. Members and focal-point
    institutions must be institutions of that country."""
    out = await national_mechanisms.create_mechanism(session, actor, data)
    return _created(out, str(request.url_for("get_mechanism", ident=str(out.id))))


@router.get(
    "/v1/national-mechanisms/{ident}",
    response_model=NationalMechanismOut,
    responses={304: {"description": "Not modified"}},
    tags=["national mechanisms"],
    summary="One national mechanism",
)
async def get_mechanism(
    ident: uuid.UUID, request: Request, session: ReadSession, reader: Reader
) -> Response:
    """A national mechanism with its members and reporting calendar (focal points only
    for keys allowed to see personal data)."""
    out = await national_mechanisms.get_mechanism(session, reader, ident)
    etag = etag_for(out.version)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    response = _json(out)
    # The body depends on who asks (focal points): no shared cache may reuse it.
    response.headers["Vary"] = "Authorization"
    return response


@router.patch(
    "/v1/national-mechanisms/{ident}",
    response_model=NationalMechanismOut,
    responses=WRITE_RESPONSES,
    tags=["national mechanisms"],
    summary="Change a national mechanism",
)
async def patch_mechanism(
    ident: uuid.UUID,
    data: NationalMechanismPatch,
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """Change fields (`If-Match` required); lists given (members, focal points, calendar)
    replace the current ones."""
    version = required_version(request)
    return _json(await national_mechanisms.patch_mechanism(session, actor, ident, version, data))
