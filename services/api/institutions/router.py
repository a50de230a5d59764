"""Institutions, recommendation owners, and national mechanisms for reporting and follow-up."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.api import edge
from services.api.deps import Reader, ReadSession, RecommendationsWriter, WriteSession
from shared.institutions import national_mechanisms, schemas, service

router = APIRouter(tags=["institutions"])
routes = edge.Routes(router)

# A write to the institution or the national mechanism the path names.
Record = Annotated[edge.Target, edge.target_of("ident", WriteSession, RecommendationsWriter)]


@routes.read("/v1/institutions", schemas.InstitutionPage, "List institutions")
async def list_institutions(
    paging: edge.Paging,
    session: ReadSession,
    _reader: Reader,
    country: edge.CountryParam = [],  # noqa: B006
    kind: Annotated[list[schemas.InstitutionKind], Query()] = [],  # noqa: B006
    q: Annotated[
        str | None, Query(min_length=1, max_length=300, description="name contains")
    ] = None,
) -> schemas.InstitutionPage:
    """Institutions (ministries, agencies, parliament, judiciary, NHRI, civil society,
    other), ordered by country then name."""
    f = schemas.InstitutionFilter(countries=edge.country_codes(country), kinds=tuple(kind), q=q)
    return await paging.fetch(schemas.InstitutionPage, service.list_institutions, session, f)


@routes.create("/v1/institutions", schemas.InstitutionOut, "Create an institution")
async def create_institution(
    data: schemas.InstitutionIn,
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """Needs `recommendations:write` for the institution's country."""
    out = await service.create_institution(session, actor, data)
    return edge.created(request, out, "get_institution", ident=out.id)


@router.post(
    "/v1/institutions/import",
    response_model=schemas.ImportReport,
    openapi_extra=edge.CSV_UPLOAD,
    summary="Import institutions from CSV",
)
async def import_institutions(
    body: edge.CsvUpload,
    session: WriteSession,
    actor: RecommendationsWriter,
    country: Annotated[str, Query(min_length=3, max_length=3, description="ISO3")],
) -> schemas.ImportReport:
    """A CSV file (the `text/csv` body, or the `file` field of a form) with the columns
    `name` (required), `kind` (ministry, agency, parliament, judiciary, nhri,
    civil_society, other; default other) and `acronym`.
    Names already known for the country (case-insensitive) are updated, others created.
    All or nothing: one bad row rejects the file with 422 and an `errors` entry per
    problem, each naming its spreadsheet `row` (the header is row 1)."""
    return await service.import_institutions(session, actor, country, body)


@routes.read("/v1/institutions/{ident}", schemas.InstitutionOut, "One institution")
async def get_institution(
    ident: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, _reader: Reader
) -> Response:
    """An institution, with an `ETag` (`If-None-Match` gives 304)."""
    out = service.institution_out(await service.get_institution(session, ident))
    return edge.current(out, if_none_match)


@routes.change("/v1/institutions/{ident}", schemas.InstitutionOut, "Change an institution")
async def patch_institution(
    data: schemas.InstitutionPatch, version: edge.IfMatch, target: Record
) -> Response:
    """Rename or re-classify an institution (`If-Match` required). A new name also
    replaces the old one in the `institutions` of the recommendations it owns."""
    return edge.versioned(await service.patch_institution(*target.args, version, data))


@routes.read(
    "/v1/recommendations/{rec_id}/institutions",
    list[schemas.InstitutionRef],
    "Owner institutions of a recommendation",
    tags=["recommendations"],
)
async def list_recommendation_institutions(
    rec_id: uuid.UUID, session: ReadSession, _reader: Reader
) -> list[schemas.InstitutionRef]:
    """The institutions responsible for a recommendation."""
    return await service.owners(session, rec_id)


@routes.replace(
    "/v1/recommendations/{rec_id}/institutions",
    list[schemas.InstitutionRef],
    "Set the owner institutions of a recommendation",
    tags=["recommendations"],
)
async def set_recommendation_institutions(
    rec_id: uuid.UUID,
    data: schemas.OwnersIn,
    version: edge.IfMatch,
    response: Response,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> list[schemas.InstitutionRef]:
    """Replace the owners of a recommendation by institution ids of its State. Send
    `If-Match` with the recommendation's ETag; the answer carries its new ETag. The
    recommendation's `institutions` names follow."""
    new_version = await service.set_owners(session, actor, rec_id, version, data.institution_ids)
    edge.set_etag(response, new_version)
    return await service.owners(session, rec_id)


# --- national mechanisms ---------------------------------------------------------------------

mechanisms = edge.Routes(APIRouter(prefix="/v1/national-mechanisms", tags=["national mechanisms"]))


@mechanisms.read("", schemas.NationalMechanismPage, "List national mechanisms")
async def list_national_mechanisms(
    paging: edge.Paging,
    session: ReadSession,
    reader: Reader,
    country: edge.CountryParam = [],  # noqa: B006
) -> schemas.NationalMechanismPage:
    """National mechanisms for reporting and follow-up, by country. `focal_points` are
    personal data: null unless the key has `personal_data:read` (or admin) and may
    write that country's data."""
    countries = edge.country_codes(country)
    return await paging.fetch(
        schemas.NationalMechanismPage,
        national_mechanisms.list_mechanisms,
        session,
        reader,
        countries,
    )


@mechanisms.create(
    "",
    schemas.NationalMechanismOut,
    "Create a national mechanism",
    responses=edge.errors(**{"409": "The State has one already"}),
)
async def create_national_mechanism(
    data: schemas.NationalMechanismIn,
    request: Request,
    session: WriteSession,
    actor: RecommendationsWriter,
) -> Response:
    """One per country; needs `recommendations:write` for it. Members and focal-point
    institutions must be institutions of that country."""
    out = await national_mechanisms.create_mechanism(session, actor, data)
    return edge.created(request, out, "get_national_mechanism", ident=out.id)


@mechanisms.read("/{ident}", schemas.NationalMechanismOut, "One national mechanism")
async def get_national_mechanism(
    ident: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, reader: Reader
) -> Response:
    """A national mechanism with its members and reporting calendar (focal points only
    for keys allowed to see personal data)."""
    out = await national_mechanisms.get_mechanism(session, reader, ident)
    # The body depends on who asks (focal points): the cache middleware sends
    # `Vary: Authorization` and keeps reads with a key private.
    return edge.current(out, if_none_match)


@mechanisms.change("/{ident}", schemas.NationalMechanismOut, "Change a national mechanism")
async def patch_national_mechanism(
    data: schemas.NationalMechanismPatch, version: edge.IfMatch, target: Record
) -> Response:
    """Change fields (`If-Match` required); lists given (members, focal points, calendar)
    replace the current ones."""
    return edge.versioned(await national_mechanisms.patch_mechanism(*target.args, version, data))


router.include_router(mechanisms.router)
