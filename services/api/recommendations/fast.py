"""The two hottest reads, served without FastAPI's per-request machinery.

Anonymous ``GET /v1/recommendations`` (lists, search, delta sync) and ``GET
/v1/recommendations/{uuid}`` are most of the traffic of the UN Country Team systems and
frontends. Through FastAPI each one paid for routing across every domain router, solving
the dependency graph and validating 18 query parameters one by one: about half of the
request's CPU (BENCHMARKS.md). These routes answer the same requests with the same query
model, the same service calls and the same response builders as the documented FastAPI
routes, which stay in the OpenAPI document and serve everything these decline (a request
with an API key, public reads turned off, HEAD, a detail by ``ref``).

They are lean routes (services/api/lean.py): registered ahead of the FastAPI routes,
inside the exception middleware, so errors become the same problem+json documents
through the app's handlers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import get_origin

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from services.api.lean import lean_route
from services.api.recommendations.router import (
    ListRequest,
    item_response,
    list_answer,
    list_request,
)
from shared.db import Database
from shared.recommendations import service
from shared.recommendations.schemas import RecommendationListQuery

_FIELDS = RecommendationListQuery.model_fields
_REPEATABLE = frozenset(
    name for name, field in _FIELDS.items() if get_origin(field.annotation) is list
)


def list_query(params: QueryParams) -> RecommendationListQuery:
    """The query parameters validated by the model the FastAPI route declares (a repeated
    filter is a list, any other parameter takes its last value, as FastAPI reads them)."""
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


# Most requests repeat a question asked before (the next poll, the next visitor): each
# distinct query string is validated once per process. Refusals are not remembered.
@lru_cache(maxsize=1024)
def asked(query_string: bytes) -> ListRequest:
    return list_request(list_query(QueryParams(query_string)))


@lean_route("list_recommendations")
async def list_recommendations(request: Request) -> Response:
    listed = asked(request.scope["query_string"])
    db: Database = request.app.state.db
    async with db.read_driver() as driver:
        return await list_answer(request, driver, listed)


# Lower-case UUIDs only (Starlette's convertor): other spellings and refs go to the FastAPI
# route, whose 404 then quotes the identifier exactly as it was sent.
@lean_route("get_recommendation", narrow={"rec_id": "uuid"})
async def get_recommendation(request: Request) -> Response:
    db: Database = request.app.state.db
    async with db.read_driver() as driver:
        item = await service.get_item(driver, str(request.path_params["rec_id"]))
    return item_response(item, request.headers.get("if-none-match"))
