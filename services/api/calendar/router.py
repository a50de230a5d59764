"""iCalendar (RFC 5545) feeds of deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from services.api.deps import Reader, ReadSession, SettingsDep
from shared.deadlines import calendar, service
from shared.errors import NotFound
from shared.reference.countries import by_iso3

router = APIRouter(prefix="/v1/calendar", tags=["deadlines"])


@router.get(
    "/{iso3}.ics",
    summary="Deadlines of a country as an iCalendar feed",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar"}},
)
async def get_country_calendar(
    iso3: Annotated[str, Path(min_length=3, max_length=3, description="ISO3 code")],
    request: Request,
    session: ReadSession,
    _reader: Reader,
    settings: SettingsDep,
) -> Response:
    """Every deadline of a country as one all-day event each, for calendar apps.

    Event UIDs are stable (`<deadline id>@followup`), so a subscribed calendar updates
    events in place when a deadline moves.
    """
    code = iso3.upper()
    country = by_iso3().get(code)
    if country is None:
        raise NotFound(f"no country {iso3!r}: use ISO 3166-1 alpha-3 codes")
    items = await service.for_country(session, code)
    body = calendar.render(
        items,
        name=f"Follow-up deadlines: {country.name}",
        base_url=settings.public_base_url,
        now=dt.datetime.now(dt.UTC),
    )
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{code}.ics"'},
    )
