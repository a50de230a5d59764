"""OHCHR mandates and technical-cooperation programmes: lists (by State and status, keyset
paging) and pages with funding, indicators and their measurements."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from services.web.pages import common
from services.web.rendering import query_string, render
from shared import i18n
from shared.errors import InvalidCursor, NotFound
from shared.mandates import service as mandates
from shared.mandates.schemas import MandateFilter
from shared.programmes import indicators as programme_indicators
from shared.programmes import links
from shared.programmes import service as programmes
from shared.programmes.schemas import ProgrammeFilter
from shared.reference.countries import by_iso3

MANDATE_STATUSES = ("planned", "active", "expiring", "expired")
PROGRAMME_STATUSES = ("planned", "active", "completed")


def _filters(
    request: Request, statuses: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The list's country and status filters, and the values refused (shown by the field)."""
    values = {k: request.query_params.get(k, "").strip() for k in ("country", "status")}
    errors = {}
    if values["country"] and values["country"].upper() not in by_iso3():
        errors["country"] = [values["country"]]
    if values["status"] and values["status"] not in statuses:
        errors["status"] = [values["status"]]
    return values, errors


async def _list(request: Request, kind: str) -> Response:
    lang = common.lang_of(request)
    statuses = MANDATE_STATUSES if kind == "mandates" else PROGRAMME_STATUSES
    values, errors = _filters(request, statuses)
    cursor = request.query_params.get("cursor") or None
    items: list[Any] = []
    next_cursor = None
    status_code = 422 if errors else 200
    if not errors:
        country = (values["country"].upper(),) if values["country"] else ()
        status = (values["status"],) if values["status"] else ()
        try:
            async with common.read_session(request) as session:
                if kind == "mandates":
                    page: Any = await mandates.list_page(
                        session,
                        MandateFilter(countries=country, statuses=status),
                        cursor=cursor,
                        limit=common.PAGE_SIZE,
                        expiring_days=common.settings_of(request).mandate_expiring_days,
                    )
                else:
                    page = await programmes.list_page(
                        session,
                        ProgrammeFilter(countries=country, statuses=status),
                        cursor=cursor,
                        limit=common.PAGE_SIZE,
                    )
            items, next_cursor = page.items, page.next_cursor
        except InvalidCursor:
            errors["cursor"] = [cursor or ""]
            status_code = 400
    params = [(k, v) for k, v in request.query_params.multi_items() if v.strip()]
    t = i18n.translator(lang)
    return render(
        request,
        lang,
        f"{kind}.html",
        status_code=status_code,
        title=t("Mandates") if kind == "mandates" else t("Programmes"),
        items=items,
        values=values,
        errors=errors,
        statuses=statuses,
        states=sorted(
            ((c, i18n.country_name(c, lang)) for c in by_iso3()), key=lambda x: x[1].casefold()
        ),
        next_url=query_string(params, cursor=next_cursor) if next_cursor else None,
        first_url=query_string(params, cursor=None) if cursor else None,
    )


async def mandate_list(request: Request) -> Response:
    return await _list(request, "mandates")


async def programme_list(request: Request) -> Response:
    return await _list(request, "programmes")


async def mandate_page(request: Request) -> Response:
    lang = common.lang_of(request)
    ident = common.parse_uuid(str(request.path_params["ident"]))
    try:
        async with common.read_session(request) as session:
            mandate = await mandates.get(
                session, ident, expiring_days=common.settings_of(request).mandate_expiring_days
            )
            linked = await programmes.list_page(
                session, ProgrammeFilter(mandates=(ident,)), cursor=None, limit=50
            )
    except NotFound:
        raise common.NotFoundPage(str(ident)) from None
    return render(
        request, lang, "mandate.html", title=mandate.title, m=mandate, programmes=linked.items
    )


async def programme_page(request: Request) -> Response:
    lang = common.lang_of(request)
    ident = common.parse_uuid(str(request.path_params["ident"]))
    try:
        async with common.read_session(request) as session:
            programme = await programmes.get(session, ident)
            indicators = await programme_indicators.list_indicators(session, ident)
            measurements = {
                i.id: (
                    await programme_indicators.list_measurements(
                        session, ident, i.id, cursor=None, limit=50
                    )
                ).items
                for i in indicators
            }
            linked = await links.linked_recommendations(session, ident, cursor=None, limit=50)
            mandate = None
            if programme.mandate_id is not None:
                mandate = await mandates.get(
                    session,
                    programme.mandate_id,
                    expiring_days=common.settings_of(request).mandate_expiring_days,
                )
    except NotFound:
        raise common.NotFoundPage(str(ident)) from None
    return render(
        request,
        lang,
        "programme.html",
        title=programme.title,
        p=programme,
        indicators=indicators,
        measurements=measurements,
        recommendations=linked.items,
        mandate=mandate,
    )
