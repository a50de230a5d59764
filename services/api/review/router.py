"""Progress reports under review: drafted and submitted by an institution's focal points,
validated (published) or returned by the State's coordinators."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.api import edge
from services.api.deps import Reader, ReadSession, ReportWriter, WriteSession
from shared.auth.schemas import Actor
from shared.review import service
from shared.review.schemas import (
    ReportIn,
    ReportOut,
    ReportPage,
    ReportPatch,
    ReviewIn,
    ReviewState,
)

router = APIRouter(prefix="/v1/progress-reports", tags=["review"])
routes = edge.Routes(router)

F = TypeVar("F", bound=Callable[..., Any])


@routes.create("", ReportOut, "Draft a report")
async def create_progress_report(
    data: ReportIn, request: Request, session: WriteSession, actor: ReportWriter
) -> Response:
    """A draft progress report on a recommendation or an action. A focal point reports on
    what its institution owns; a coordinator on anything of its State. Nothing is
    published until a coordinator validates it."""
    report = await service.create_draft(session, actor, data)
    return edge.created(request, report, "get_progress_report", report_id=report.id)


@router.get("", response_model=ReportPage, summary="List reports")
async def list_progress_reports(
    paging: edge.Paging,
    session: ReadSession,
    actor: Reader,
    country: Annotated[str | None, Query(description="ISO3 of the State")] = None,
    state: Annotated[list[ReviewState], Query(description="repeatable")] = [],  # noqa: B006
    institution_id: uuid.UUID | None = None,
    recommendation_id: uuid.UUID | None = None,
) -> ReportPage:
    """Reports the caller may see, oldest first: validated ones for everyone; drafts,
    submitted and returned ones for the institution's focal points and the State's
    coordinators. A coordinator's queue: `?country=PRY&state=submitted`."""
    page = await service.list_reports(
        session,
        actor,
        country=edge.country_code(country),
        states=tuple(state),
        institution_id=institution_id,
        recommendation_id=recommendation_id,
        cursor=paging.cursor,
        limit=paging.limit,
    )
    return paging.answer(page)


@router.get("/{report_id}", response_model=ReportOut, summary="One report")
async def get_progress_report(
    report_id: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, actor: Reader
) -> Response:
    """One report (404 for an unpublished report the caller may not see), with an ETag."""
    return edge.current(await service.get(session, actor, report_id), if_none_match)


@router.patch(
    "/{report_id}",
    response_model=ReportOut,
    responses=edge.errors(**{"409": "Submitted or validated: frozen"}),
    summary="Edit a draft",
)
async def edit_progress_report(
    report_id: uuid.UUID,
    changes: ReportPatch,
    version: edge.IfMatch,
    session: WriteSession,
    actor: ReportWriter,
) -> Response:
    """Change a draft or a returned report (`If-Match` required: 428 without, 412 when
    stale). Submitted and validated reports are frozen (409)."""
    return edge.versioned(await service.edit(session, actor, report_id, version, changes))


def _review_step(path: str, summary: str) -> Callable[[F], F]:
    """Declare a step of the review of a report: a POST answered with the report, 409 when
    the report is not in a state that allows the step."""
    return router.post(
        path,
        response_model=ReportOut,
        summary=summary,
        responses=edge.errors(**{"409": "Not in a state that allows it"}),
    )


@dataclass(frozen=True, slots=True)
class ReviewStep:
    """Who takes a step of the review, on which report, from which version of it (the
    If-Match version, when sent: 412 when stale)."""

    session: AsyncSession
    actor: Actor
    report_id: uuid.UUID
    version: int | None


async def review_step(
    report_id: uuid.UUID, version: edge.OptionalIfMatch, session: WriteSession, actor: ReportWriter
) -> ReviewStep:
    return ReviewStep(session, actor, report_id, version)


Step = Annotated[ReviewStep, Depends(review_step)]


@_review_step("/{report_id}/submit", "Submit for review")
async def submit_progress_report(step: Step) -> Response:
    """draft or returned -> submitted. `If-Match` optional (412 when stale)."""
    out = await service.submit(step.session, step.actor, step.report_id, step.version)
    return edge.versioned(out)


@_review_step("/{report_id}/validate", "Validate and publish")
async def validate_progress_report(step: Step, review: ReviewIn | None = None) -> Response:
    """submitted -> validated, by a coordinator of the State: the report is published as
    an implementation update (`source: government`, the institution as author) and the
    recommendation (or action) takes its status."""
    out = await service.validate(
        step.session, step.actor, step.report_id, step.version, review or ReviewIn()
    )
    return edge.versioned(out)


@_review_step("/{report_id}/return", "Return with a comment")
async def return_progress_report(review: ReviewIn, step: Step) -> Response:
    """submitted -> returned, by a coordinator of the State, with a `comment` (required):
    the institution edits the report and submits it again."""
    out = await service.return_report(
        step.session, step.actor, step.report_id, step.version, review
    )
    return edge.versioned(out)
