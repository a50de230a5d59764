"""Mandates: OHCHR field presences, their legal basis, funding and renewals."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.api.deps import MandatesWriter, Reader, ReadSession, SettingsDep, WriteSession
from services.api.etag import etag_for, not_modified, required_version
from services.api.pagination import LimitParam, link_header
from services.api.problems import PROBLEM_RESPONSES
from shared.kernel import validation
from shared.mandates import service
from shared.mandates.schemas import (
    MandateFilter,
    MandateIn,
    MandateOut,
    MandatePage,
    MandatePatch,
    MandateStatus,
    MandateType,
    RenewalIn,
)
from shared.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/mandates", tags=["mandates"], responses=PROBLEM_RESPONSES)

CONDITIONAL: dict[int | str, dict[str, Any]] = {
    412: PROBLEM_RESPONSES[400] | {"description": "Stale version"},
    428: PROBLEM_RESPONSES[400] | {"description": "If-Match required"},
}


def optional_version(request: Request) -> int | None:
    """The If-Match version when one is sent (deletes and renewals accept it)."""
    return required_version(request) if request.headers.get("if-match") else None


def mandate_filter(
    country: Annotated[
        list[str], Query(description="ISO3; regional mandates covering it included")
    ] = [],  # noqa: B006
    type: Annotated[list[MandateType], Query()] = [],  # noqa: B006
    status: Annotated[
        list[MandateStatus], Query(description="from the dates, relative to today")
    ] = [],  # noqa: B006
    active_on: Annotated[dt.date | None, Query(description="running on this day")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> MandateFilter:
    problems = validation.Problems("query")
    f = MandateFilter(
        countries=validation.countries(country, "country", problems),
        types=tuple(dict.fromkeys(type)),
        statuses=tuple(dict.fromkeys(status)),
        active_on=active_on,
        q=q.strip() if q and q.strip() else None,
    )
    problems.raise_if_any()
    return f


Filter = Annotated[MandateFilter, Depends(mandate_filter)]


def _with_etag(out: MandateOut, response: Response) -> MandateOut:
    response.headers["ETag"] = etag_for(out.version)
    return out


@router.get("", response_model=MandatePage, summary="List mandates")
async def list_mandates(
    request: Request,
    response: Response,
    session: ReadSession,
    _reader: Reader,
    settings: SettingsDep,
    f: Filter,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> MandatePage:
    """Mandates matching every filter, ordered by start date.

    `status` is derived from the dates: `planned` (starts later), `active`, `expiring`
    (ends within `MANDATE_EXPIRING_DAYS`, 90 by default) and `expired`."""
    page = await service.list_page(
        session, f, cursor=cursor, limit=limit, expiring_days=settings.mandate_expiring_days
    )
    link_header(request, response, page.next_cursor)
    return MandatePage(items=page.items, next_cursor=page.next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MandateOut, summary="Create")
async def create_mandate(
    data: MandateIn,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: MandatesWriter,
    settings: SettingsDep,
) -> MandateOut:
    """Create a mandate. Needs `mandates:write` for its country (for a regional one, every
    country it covers). Its end and renewal dates become deadlines."""
    out = await service.create(session, actor, data, expiring_days=settings.mandate_expiring_days)
    response.headers["Location"] = str(request.url_for("get_mandate", mandate_id=str(out.id)))
    return _with_etag(out, response)


@router.get(
    "/{mandate_id}",
    response_model=MandateOut,
    responses={304: {"description": "Not modified"}},
    summary="One mandate",
)
async def get_mandate(
    mandate_id: uuid.UUID,
    request: Request,
    response: Response,
    session: ReadSession,
    _reader: Reader,
    settings: SettingsDep,
) -> MandateOut | Response:
    """A mandate with its renewal history and funding gap; carries an `ETag`."""
    out = await service.get(session, mandate_id, expiring_days=settings.mandate_expiring_days)
    etag = etag_for(out.version)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return _with_etag(out, response)


@router.patch("/{mandate_id}", response_model=MandateOut, responses=CONDITIONAL, summary="Change")
async def patch_mandate(
    mandate_id: uuid.UUID,
    changes: MandatePatch,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: MandatesWriter,
    settings: SettingsDep,
) -> MandateOut:
    """Change a mandate; `If-Match` with its ETag is required (428 without, 412 stale).
    Nested `funding` fields change one by one; `legal_basis` is replaced whole."""
    version = required_version(request)
    out = await service.patch(
        session,
        actor,
        mandate_id,
        version,
        changes,
        expiring_days=settings.mandate_expiring_days,
    )
    return _with_etag(out, response)


@router.post(
    "/{mandate_id}/renewals",
    response_model=MandateOut,
    responses=CONDITIONAL,
    summary="Record a renewal",
)
async def renew_mandate(
    mandate_id: uuid.UUID,
    data: RenewalIn,
    request: Request,
    response: Response,
    session: WriteSession,
    actor: MandatesWriter,
    settings: SettingsDep,
) -> MandateOut:
    """Renew a mandate until `new_end` (later than its current end): a renewal row is
    kept, the end date and its deadline move; the renewal deadline that was due is
    done and `next_renewal_due_on`, if given, becomes the next one."""
    out = await service.renew(
        session,
        actor,
        mandate_id,
        optional_version(request),
        data,
        expiring_days=settings.mandate_expiring_days,
    )
    return _with_etag(out, response)


@router.delete(
    "/{mandate_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=CONDITIONAL | {409: PROBLEM_RESPONSES[400] | {"description": "In use"}},
    summary="Delete",
)
async def delete_mandate(
    mandate_id: uuid.UUID, request: Request, session: WriteSession, actor: MandatesWriter
) -> Response:
    """Delete a mandate that no programme refers to (409 otherwise), with its deadlines.
    `If-Match` is checked when sent."""
    await service.delete(session, actor, mandate_id, optional_version(request))
    return Response(status_code=204)
