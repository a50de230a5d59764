"""Progress reports under review: drafted and submitted by an institution's focal points,
validated (published) or returned by the State's coordinators."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response

from services.api import edge
from services.api.deps import Reader, ReadSession, ReportWriter, WriteSession
from shared.review import schemas, service

router = APIRouter(prefix="/v1/progress-reports", tags=["review"])
routes = edge.Routes(router)

F = TypeVar("F", bound=Callable[..., Any])


@routes.create("", schemas.ReportOut, "Draft a report")
async def create_progress_report(
    data: schemas.ReportIn, request: Request, session: WriteSession, actor: ReportWriter
) -> Response:
    """A draft progress report on a recommendation or an action. A focal point reports on
    what its institution owns; a coordinator on anything of its State. Nothing is
    published until a coordinator validates it."""
    report = await service.create_draft(session, actor, data)
    return edge.created(request, report, "get_progress_report", report_id=report.id)


@routes.read("", schemas.ReportPage, "List reports")
async def list_progress_reports(
    paging: edge.Paging,
    session: ReadSession,
    actor: Reader,
    country: edge.StateParam = None,
    state: Annotated[list[schemas.ReviewState], Query(description="repeatable")] = [],  # noqa: B006
    institution_id: uuid.UUID | None = None,
    recommendation_id: uuid.UUID | None = None,
) -> schemas.ReportPage:
    """Reports the caller may see, oldest first: validated ones for everyone; drafts,
    submitted and returned ones for the institution's focal points and the State's
    coordinators. A coordinator's queue: `?country=PRY&state=submitted`."""
    return await paging.fetch(
        schemas.ReportPage,
        service.list_reports,
        session,
        actor,
        country=edge.country_code(country),
        states=tuple(state),
        institution_id=institution_id,
        recommendation_id=recommendation_id,
    )


@routes.read("/{report_id}", schemas.ReportOut, "One report")
async def get_progress_report(
    report_id: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, actor: Reader
) -> Response:
    """One report (404 for an unpublished report the caller may not see), with an ETag."""
    return edge.current(await service.get(session, actor, report_id), if_none_match)


# A write to a report: an edit or a step of its review.
Report = Annotated[edge.Target, edge.target_of("report_id", WriteSession, ReportWriter)]


@routes.change(
    "/{report_id}",
    schemas.ReportOut,
    "Edit a draft",
    responses=edge.errors(**{"409": "Submitted or validated: frozen"}),
)
async def edit_progress_report(
    changes: schemas.ReportPatch, version: edge.IfMatch, report: Report
) -> Response:
    """Change a draft or a returned report (`If-Match` required: 428 without, 412 when
    stale). Submitted and validated reports are frozen (409)."""
    return edge.versioned(await service.edit(*report.args, version, changes))


def _review_step(path: str, summary: str) -> Callable[[F], F]:
    """Declare a step of the review of a report: a POST answered with the report, 409 when
    the report is not in a state that allows the step. The step is taken from the
    If-Match version when one is sent (412 when stale)."""
    return router.post(
        path,
        response_model=schemas.ReportOut,
        summary=summary,
        responses=edge.errors(**{"409": "Not in a state that allows it"}),
    )


@_review_step("/{report_id}/submit", "Submit for review")
async def submit_progress_report(version: edge.OptionalIfMatch, report: Report) -> Response:
    """draft or returned -> submitted. `If-Match` optional (412 when stale)."""
    return edge.versioned(await service.submit(*report.args, version))


@_review_step("/{report_id}/validate", "Validate and publish")
async def validate_progress_report(
    version: edge.OptionalIfMatch, report: Report, review: schemas.ReviewIn | None = None
) -> Response:
    """submitted -> validated, by a coordinator of the State: the report is published as
    an implementation update (`source: government`, the institution as author) and the
    recommendation (or action) takes its status."""
    out = await service.validate(*report.args, version, review or schemas.ReviewIn())
    return edge.versioned(out)


@_review_step("/{report_id}/return", "Return with a comment")
async def return_progress_report(
    review: schemas.ReviewIn, version: edge.OptionalIfMatch, report: Report
) -> Response:
    """submitted -> returned, by a coordinator of the State, with a `comment` (required):
    the institution edits the report and submits it again."""
    return edge.versioned(await service.return_report(*report.args, version, review))
