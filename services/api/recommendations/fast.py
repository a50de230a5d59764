"""The two hottest reads, served without FastAPI's per-request machinery.

Anonymous ``GET /v1/recommendations`` (lists, search, delta sync) and ``GET
/v1/recommendations/{uuid}`` are most of the traffic of the UN Country Team systems and
frontends. Through FastAPI each one paid for routing across every domain router, solving
the dependency graph and validating 18 query parameters one by one: about half of the
request's CPU (BENCHMARKS.md). These routes answer the same requests with the same query
model, the same service calls and the same response builders as the documented FastAPI
routes, which stay in the OpenAPI document and serve everything these decline (a request
with an API key, public reads turned off, HEAD, a detail by ``ref``).

They are registered ahead of the FastAPI routes, inside the exception middleware: errors
become the same problem+json documents through the app's handlers.
"""

from __future__ import annotations

from typing import Any, get_origin

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from services.api.recommendations.router import item_response, page_response
from shared.db import Database
from shared.recommendations import service, validation
from shared.recommendations.schemas import RecommendationListQuery

_FIELDS = RecommendationListQuery.model_fields
_REPEATABLE = frozenset(
    name for name, field in _FIELDS.items() if get_origin(field.annotation) is list
)


class AnonymousReadRoute(Route):
    """A GET route that takes only anonymous requests when reads are public."""

    def __init__(self, path: str, endpoint: Any, *, template: str, public_read: bool) -> None:
        super().__init__(path, endpoint, methods=["GET"], include_in_schema=False)
        self.public_read = public_read
        # Metrics and access logs label a request by its route's template: the FastAPI
        # route's, so that one route is one series whichever path served it.
        self.path = template

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET" or not self.public_read:
            return Match.NONE, {}
        for name, _ in scope["headers"]:
            if name == b"authorization":
                return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is Match.FULL:
            # FastAPI's router leaves it to the route to name itself in the scope (the
            # request middleware labels metrics and logs with it).
            child_scope["route"] = self
        return match, child_scope


def list_query(request: Request) -> RecommendationListQuery:
    """The query parameters validated by the model the FastAPI route declares (a repeated
    filter is a list, any other parameter takes its last value, as FastAPI reads them)."""
    params = request.query_params
    values = {
        name: params.getlist(name) if name in _REPEATABLE else params[name]
        for name in params
        if name in _FIELDS
    }
    try:
        return RecommendationListQuery.model_validate(values)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
        ) from None


async def list_recommendations(request: Request) -> Response:
    query = list_query(request)
    f = validation.to_filter(query)
    db: Database = request.app.state.db
    async with db.read_driver() as driver:
        page = await service.list_page(
            driver, f, cursor=query.cursor, limit=query.limit, since_token=query.since_token
        )
    return page_response(request, page)


async def get_recommendation(request: Request) -> Response:
    db: Database = request.app.state.db
    async with db.read_driver() as driver:
        item = await service.get_item(driver, str(request.path_params["rec_id"]))
    return item_response(item, request.headers.get("if-none-match"))


def routes(public_read: bool) -> list[Route]:
    """The routes to register before every other route of the app."""
    return [
        AnonymousReadRoute(
            "/v1/recommendations",
            list_recommendations,
            template="/v1/recommendations",
            public_read=public_read,
        ),
        # Lower-case UUIDs only (Starlette's convertor): other spellings and refs go to the
        # FastAPI route, whose 404 then quotes the identifier exactly as it was sent.
        AnonymousReadRoute(
            "/v1/recommendations/{rec_id:uuid}",
            get_recommendation,
            template="/v1/recommendations/{rec_id:path}",
            public_read=public_read,
        ),
    ]
