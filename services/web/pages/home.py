"""Home: the States followed, their latest cycle, how much of what they supported has a
reported status, and the deadlines coming next."""

from __future__ import annotations

import datetime as dt
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.web.pages.common import lang_of, read_session
from services.web.rendering import render
from shared import i18n
from shared.deadlines import service as deadlines
from shared.deadlines.schemas import DeadlineFilter
from shared.portal import service as portal
from shared.portal.service import StateSummary

# The overview scans every recommendation: it is recomputed at most this often.
SUMMARY_TTL_S = 30.0


async def redirect_slash(request: Request) -> Response:
    lang_of(request)
    return RedirectResponse(f"{request.url.path}/", status_code=301)


async def _states(request: Request) -> list[StateSummary]:
    cached = getattr(request.app.state, "portal_states", None)
    if cached is not None and time.monotonic() - cached[0] < SUMMARY_TTL_S:
        states: list[StateSummary] = cached[1]
        return states
    async with read_session(request) as session:
        states = await portal.states(session)
    request.app.state.portal_states = (time.monotonic(), states)
    return states


def _sorted(states: list[StateSummary], lang: str) -> list[StateSummary]:
    return sorted(states, key=lambda s: i18n.country_name(s.iso3, lang).casefold())


async def page(request: Request) -> Response:
    lang = lang_of(request)
    states = _sorted(await _states(request), lang)
    today = dt.date.today()
    async with read_session(request) as session:
        upcoming = await deadlines.list_page(
            session,
            DeadlineFilter(statuses=("open",), due_after=today - dt.timedelta(days=1)),
            cursor=None,
            limit=10,
        )
    supported = sum(s.supported for s in states)
    reported = sum(s.reported for s in states)
    return render(
        request,
        lang,
        "home.html",
        title=None,
        states=states,
        deadlines=upcoming.items,
        totals={
            "states": len(states),
            "recommendations": sum(s.total for s in states),
            "supported": supported,
            "share_reported": reported / supported if supported else None,
        },
    )


async def countries(request: Request) -> Response:
    lang = lang_of(request)
    return RedirectResponse(f"/{lang}/#states", status_code=302)
