"""The ceiling: the same HTTP stack answering with pre-rendered bodies, no database.

uvicorn (uvloop, httptools) and Starlette, as the API and the floor run them, sending
for each benchmarked route a body the API itself sent (same size). Whatever separates a
route's figure from this one is the work of producing the answer; whatever separates the
ceiling from wrk's own limit is the server. Bodies come from the JSON file named by
``BENCH_CEILING_BODIES`` (``{"list": ..., "facets": ..., "detail": ...}``).

    BENCH_CEILING_BODIES=bodies.json uvicorn bench.ceiling:app --loop uvloop --http httptools
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

JSON = "application/json"
with open(os.environ["BENCH_CEILING_BODIES"], encoding="utf-8") as _file:
    BODIES: dict[str, bytes] = {k: v.encode() for k, v in json.load(_file).items()}


def _answer(kind: str) -> Response:
    return Response(BODIES[kind], media_type=JSON)


async def list_recommendations(request: Request) -> Response:
    return _answer("list")


async def facets(request: Request) -> Response:
    return _answer("facets")


async def get_recommendation(request: Request) -> Response:
    etag = '"v1"'
    if request.headers.get("if-none-match"):
        return Response(status_code=304, headers={"ETag": etag})
    response = _answer("detail")
    response.headers["ETag"] = etag
    return response


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type=JSON)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    gc.collect()
    gc.freeze()
    yield


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/v1/recommendations", list_recommendations),
        Route("/v1/recommendations/facets", facets),
        Route("/v1/recommendations/{ident}", get_recommendation),
    ],
    lifespan=lifespan,
)
