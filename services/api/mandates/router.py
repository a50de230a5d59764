"""Mandates: OHCHR field presences, their legal basis, funding and renewals."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.api import edge
from services.api.deps import MandatesWriter, Reader, ReadSession, SettingsDep, WriteSession
from shared.mandates import schemas, service

router = APIRouter(prefix="/v1/mandates", tags=["mandates"])
routes = edge.Routes(router)


def mandate_filter(
    country: edge.CountryParam = [],  # noqa: B006
    type: Annotated[list[schemas.MandateType], Query()] = [],  # noqa: B006
    status: Annotated[
        list[schemas.MandateStatus], Query(description="from the dates, relative to today")
    ] = [],  # noqa: B006
    active_on: Annotated[dt.date | None, Query(description="running on this day")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> schemas.MandateFilter:
    return schemas.MandateFilter(
        countries=edge.country_codes(country),
        types=tuple(dict.fromkeys(type)),
        statuses=tuple(dict.fromkeys(status)),
        active_on=active_on,
        q=q.strip() if q and q.strip() else None,
    )


Filter = Annotated[schemas.MandateFilter, Depends(mandate_filter)]


async def expiring_days(settings: SettingsDep) -> int:
    """`MANDATE_EXPIRING_DAYS`: how many days before its end a mandate is `expiring`."""
    return settings.mandate_expiring_days


ExpiringDays = Annotated[int, Depends(expiring_days)]


# A write to a mandate.
Mandate = Annotated[edge.Target, edge.target_of("mandate_id", WriteSession, MandatesWriter)]


@routes.read("", schemas.MandatePage, "List mandates")
async def list_mandates(
    paging: edge.Paging,
    session: ReadSession,
    _reader: Reader,
    expiring_days: ExpiringDays,
    f: Filter,
) -> schemas.MandatePage:
    """Mandates matching every filter, ordered by start date.

    `status` is derived from the dates: `planned` (starts later), `active`, `expiring`
    (ends within `MANDATE_EXPIRING_DAYS`, 90 by default) and `expired`."""
    return await paging.fetch(
        schemas.MandatePage, service.list_page, session, f, expiring_days=expiring_days
    )


@routes.create("", schemas.MandateOut, "Create")
async def create_mandate(
    data: schemas.MandateIn,
    request: Request,
    session: WriteSession,
    actor: MandatesWriter,
    expiring_days: ExpiringDays,
) -> Response:
    """Create a mandate. Needs `mandates:write` for its country (for a regional one, every
    country it covers). Its end and renewal dates become deadlines."""
    out = await service.create(session, actor, data, expiring_days=expiring_days)
    return edge.created(request, out, "get_mandate", mandate_id=out.id)


@routes.read("/{mandate_id}", schemas.MandateOut, "One mandate")
async def get_mandate(
    mandate_id: uuid.UUID,
    if_none_match: edge.IfNoneMatch,
    session: ReadSession,
    _reader: Reader,
    expiring_days: ExpiringDays,
) -> Response:
    """A mandate with its renewal history and funding gap; carries an `ETag`."""
    out = await service.get(session, mandate_id, expiring_days=expiring_days)
    return edge.current(out, if_none_match)


@routes.change("/{mandate_id}", schemas.MandateOut, "Change")
async def patch_mandate(
    changes: schemas.MandatePatch,
    version: edge.IfMatch,
    target: Mandate,
    expiring_days: ExpiringDays,
) -> Response:
    """Change a mandate; `If-Match` with its ETag is required (428 without, 412 stale).
    Nested `funding` fields change one by one; `legal_basis` is replaced whole."""
    out = await service.patch(*target.args, version, changes, expiring_days=expiring_days)
    return edge.versioned(out)


@router.post(
    "/{mandate_id}/renewals", response_model=schemas.MandateOut, summary="Record a renewal"
)
async def renew_mandate(
    data: schemas.RenewalIn,
    version: edge.OptionalIfMatch,
    target: Mandate,
    expiring_days: ExpiringDays,
) -> Response:
    """Renew a mandate until `new_end` (later than its current end): a renewal row is
    kept, the end date and its deadline move; the renewal deadline that was due is
    done and `next_renewal_due_on`, if given, becomes the next one."""
    out = await service.renew(*target.args, version, data, expiring_days=expiring_days)
    return edge.versioned(out)


@routes.delete("/{mandate_id}", "Delete", responses=edge.errors(**{"409": "In use by a programme"}))
async def delete_mandate(version: edge.OptionalIfMatch, target: Mandate) -> None:
    """Delete a mandate that no programme refers to (409 otherwise), with its deadlines.
    `If-Match` is checked when sent."""
    await service.delete(*target.args, version)
