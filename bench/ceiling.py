"""The ceiling: the API's own HTTP stack answering with pre-rendered bodies, no database.

The application ``followup api`` serves (uvicorn with uvloop and httptools; the same
middleware: request ids and access logs, metrics, rate limits, cache headers,
compression), with routes in front of every other that send, for each benchmarked
route, a body the API itself sent (same size). Whatever separates a route's figure from
this one is the work of producing the answer; the ceiling is what the server alone does.
Bodies come from the JSON file named by ``BENCH_CEILING_BODIES`` (``{"list": ...,
"facets": ..., "detail": ...}``); ``DATABASE_URL`` and ``REDIS_URL`` as for the API.

    BENCH_CEILING_BODIES=bodies.json uvicorn bench.ceiling:app --loop uvloop --http httptools
"""

from __future__ import annotations

import json
import os

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.api.app import create_app

JSON = "application/json"
with open(os.environ["BENCH_CEILING_BODIES"], encoding="utf-8") as _file:
    BODIES: dict[str, bytes] = {k: v.encode() for k, v in json.load(_file).items()}


async def list_recommendations(request: Request) -> Response:
    return Response(BODIES["list"], media_type=JSON)


async def facets(request: Request) -> Response:
    return Response(BODIES["facets"], media_type=JSON)


async def get_recommendation(request: Request) -> Response:
    etag = '"v1"'
    if request.headers.get("if-none-match"):
        return Response(status_code=304, headers={"ETag": etag})
    return Response(BODIES["detail"], media_type=JSON, headers={"ETag": etag})


app = create_app()
app.router.routes[:0] = [
    Route("/v1/recommendations", list_recommendations),
    Route("/v1/recommendations/facets", facets),
    Route("/v1/recommendations/{ident}", get_recommendation),
]
