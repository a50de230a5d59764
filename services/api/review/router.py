"""Progress reports under review: drafted and submitted by an institution's focal points,
validated (published) or returned by the State's coordinators."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from services.api.deps import Reader, ReadSession, ReportWriter, WriteSession
from services.api.etag import etag_for, optional_version, required_version
from services.api.pagination import LimitParam, link_header
from services.api.problems import PROBLEM_RESPONSES
from shared.kernel import validation
from shared.pagination import DEFAULT_LIMIT
from shared.review import service
from shared.review.schemas import (
    ReportIn,
    ReportOut,
    ReportPage,
    ReportPatch,
    ReviewIn,
    ReviewState,
)

router = APIRouter(prefix="/v1/progress-reports", tags=["review"], responses=PROBLEM_RESPONSES)


def _answer(report: ReportOut, response: Response) -> ReportOut:
    response.headers["ETag"] = etag_for(report.version)
    return report


@router.post(
    "", response_model=ReportOut, status_code=status.HTTP_201_CREATED, summary="Draft a report"
)
async def create(
    data: ReportIn, request: Request, response: Response, session: WriteSession, actor: ReportWriter
) -> ReportOut:
    """A draft progress report on a recommendation or an action. A focal point reports on
    what its institution owns; a coordinator on anything of its State. Nothing is
    published until a coordinator validates it."""
    report = await service.create_draft(session, actor, data)
    response.headers["Location"] = str(request.url_for("get_report", report_id=str(report.id)))
    return _answer(report, response)


@router.get("", response_model=ReportPage, summary="List reports")
async def list_reports(
    request: Request,
    response: Response,
    session: ReadSession,
    actor: Reader,
    country: Annotated[str | None, Query(description="ISO3 of the State")] = None,
    state: Annotated[list[ReviewState], Query(description="repeatable")] = [],  # noqa: B006
    institution_id: uuid.UUID | None = None,
    recommendation_id: uuid.UUID | None = None,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> ReportPage:
    """Reports the caller may see, oldest first: validated ones for everyone; drafts,
    submitted and returned ones for the institution's focal points and the State's
    coordinators. A coordinator's queue: `?country=PRY&state=submitted`."""
    problems = validation.Problems("query")
    codes = validation.countries([country] if country else [], "country", problems)
    problems.raise_if_any()
    page = await service.list_reports(
        session,
        actor,
        country=codes[0] if codes else None,
        states=tuple(state),
        institution_id=institution_id,
        recommendation_id=recommendation_id,
        cursor=cursor,
        limit=limit,
    )
    link_header(request, response, page.next_cursor)
    return page


@router.get("/{report_id}", response_model=ReportOut, summary="One report")
async def get_report(
    report_id: uuid.UUID, response: Response, session: ReadSession, actor: Reader
) -> ReportOut:
    """One report (404 for an unpublished report the caller may not see), with an ETag."""
    return _answer(await service.get(session, actor, report_id), response)


@router.patch("/{report_id}", response_model=ReportOut, summary="Edit a draft")
async def edit(
    report_id: uuid.UUID,
    changes: ReportPatch,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: ReportWriter,
) -> ReportOut:
    """Change a draft or a returned report (`If-Match` required: 428 without, 412 when
    stale). Submitted and validated reports are frozen (409)."""
    version = required_version(request)
    return _answer(await service.edit(session, actor, report_id, version, changes), response)


@router.post("/{report_id}/submit", response_model=ReportOut, summary="Submit for review")
async def submit(
    report_id: uuid.UUID,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: ReportWriter,
) -> ReportOut:
    """draft or returned -> submitted. `If-Match` optional (412 when stale)."""
    version = optional_version(request)
    return _answer(await service.submit(session, actor, report_id, version), response)


@router.post("/{report_id}/validate", response_model=ReportOut, summary="Validate and publish")
async def validate(
    report_id: uuid.UUID,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: ReportWriter,
    review: ReviewIn | None = None,
) -> ReportOut:
    """submitted -> validated, by a coordinator of the State: the report is published as
    an implementation update (`source: government`, the institution as author) and the
    recommendation (or action) takes its status."""
    version = optional_version(request)
    return _answer(
        await service.validate(session, actor, report_id, version, review or ReviewIn()), response
    )


@router.post("/{report_id}/return", response_model=ReportOut, summary="Return with a comment")
async def return_report(
    report_id: uuid.UUID,
    review: ReviewIn,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: ReportWriter,
) -> ReportOut:
    """submitted -> returned, by a coordinator of the State, with a `comment` (required):
    the institution edits the report and submits it again."""
    version = optional_version(request)
    return _answer(
        await service.return_report(session, actor, report_id, version, review), response
    )
