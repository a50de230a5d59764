"""The signed-in workspace: what the person may do, the recommendations their institution
owns (focal points), the review queue (coordinators), assessments (NHRIs, civil society)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from services.web.pages.common import lang_of
from services.web.rendering import render
from services.web.signin import SignedIn, csrf_token, current
from shared import i18n
from shared.db import Database
from shared.recommendations import service as recommendations
from shared.recommendations.schemas import RecommendationFilter

OWNED_LIMIT = 100


def _to_sign_in(request: Request, lang: str) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/{lang}/sign-in?next={target}", status_code=303)


async def owned(request: Request, who: SignedIn) -> list[dict[str, Any]]:
    """The recommendations owned by the focal point's institutions, in list order."""
    items: list[dict[str, Any]] = []
    db: Database = request.app.state.db
    for m in who.actor.roles_in("focal_point"):
        if not (m.country and m.institution):
            continue
        f = RecommendationFilter(countries=(m.country,), institutions=(m.institution,))
        async with db.read_driver() as driver:
            page = await recommendations.list_page(driver, f, cursor=None, limit=OWNED_LIMIT)
        items += [orjson.loads(i) for i in page.items]
    return items


async def home(request: Request) -> Response:
    lang = lang_of(request)
    who = await current(request)
    if who is None:
        return _to_sign_in(request, lang)
    return render(
        request,
        lang,
        "workspace.html",
        title=i18n.translator(lang)("Workspace"),
        who=who,
        csrf=csrf_token(request),
        owned=await owned(request, who),
    )


def routes() -> list[BaseRoute]:
    return [Route("/{lang}/workspace", home)]
