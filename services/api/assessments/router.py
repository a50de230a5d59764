"""Independent assessments (NHRIs, civil society, the UN) beside the government's status."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.api import edge
from services.api.deps import AssessmentWriter, Reader, ReadSession, WriteSession
from shared.assessments import schemas, service
from shared.recommendations.schemas import Status

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])
routes = edge.Routes(router)


@routes.create(
    "",
    schemas.AssessmentOut,
    "Assess",
    responses=edge.errors(**{"404": "No such recommendation"}),
)
async def create_assessment(
    data: schemas.AssessmentIn, request: Request, session: WriteSession, actor: AssessmentWriter
) -> Response:
    """Publish an organisation's own assessment of a recommendation of its State (NHRI and
    civil-society members; admins also record the UN's with `source: un`). The
    government's status is never changed; the recommendation shows the assessment under
    `assessments`."""
    out = await service.create(session, actor, data)
    return edge.created(request, out, "get_assessment", assessment_id=out.id)


@routes.read("", schemas.AssessmentPage, "List assessments")
async def list_assessments(
    paging: edge.Paging,
    session: ReadSession,
    _reader: Reader,
    recommendation_id: uuid.UUID | None = None,
    country: edge.StateParam = None,
    source: Annotated[list[schemas.AssessmentSource], Query(description="repeatable")] = [],  # noqa: B006
    assessed_status: Annotated[list[Status], Query(alias="status", description="repeatable")] = [],  # noqa: B006
    organisation_id: uuid.UUID | None = None,
) -> schemas.AssessmentPage:
    """Assessments, oldest first, filtered by recommendation, State, source
    (nhri, civil_society, un), status or organisation."""
    return await paging.fetch(
        schemas.AssessmentPage,
        service.list_assessments,
        session,
        recommendation_id=recommendation_id,
        country=edge.country_code(country),
        sources=tuple(source),
        statuses=tuple(assessed_status),
        organisation_id=organisation_id,
    )


@routes.read("/stats", schemas.AssessmentStats, "Status by source")
async def get_assessment_stats(
    session: ReadSession,
    _reader: Reader,
    country: edge.StateParam = None,
    cycle: edge.CycleParam = None,
) -> schemas.AssessmentStats:
    """Recommendations by status, split by source: `government` (the recommendations'
    own status) beside `nhri`, `civil_society` and `un` (each source's latest assessment
    of each recommendation it assessed)."""
    return await service.stats(session, edge.country_code(country), cycle)


@routes.read("/{assessment_id}", schemas.AssessmentOut, "One assessment")
async def get_assessment(
    assessment_id: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, _reader: Reader
) -> Response:
    """One assessment, with an ETag."""
    return edge.current(await service.get(session, assessment_id), if_none_match)


# The assessment of the path, which the service lets only its organisation (or an admin)
# change.
OwnAssessment = Annotated[
    edge.Target, edge.target_of("assessment_id", WriteSession, AssessmentWriter)
]


@routes.change("/{assessment_id}", schemas.AssessmentOut, "Change an assessment")
async def edit_assessment(
    changes: schemas.AssessmentPatch, version: edge.IfMatch, one: OwnAssessment
) -> Response:
    """Change one of the caller's organisation's assessments (`If-Match` required)."""
    return edge.versioned(await service.edit(*one.args, version, changes))


@routes.delete("/{assessment_id}", "Withdraw an assessment")
async def delete_assessment(version: edge.OptionalIfMatch, one: OwnAssessment) -> None:
    """Withdraw one of the caller's organisation's assessments (`If-Match` optional)."""
    await service.delete(*one.args, version)
