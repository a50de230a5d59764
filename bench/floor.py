"""The floor: a bare Starlette app running the service's own SQL through raw asyncpg.

It answers the benchmarked routes with the same statements (built by
``shared.recommendations.queries``) and the same bodies, but with no FastAPI, no
SQLAlchemy, no middleware and no validation beyond what the SQL needs. The API is measured
against it: whatever the API does on top costs the difference.

    BENCH_FLOOR_DSN=postgresql://... uvicorn bench.floor:app --loop uvloop --http httptools
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import gc
import io
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from shared import sync
from shared.recommendations import queries
from shared.recommendations.repository import _ITEM_BY_ID
from shared.recommendations.schemas import RecommendationFilter
from shared.recommendations.service import RESOURCE, _cursor, _order, filters_key


def args(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    return queries.positional(sql, params)


def _filter(request: Request) -> RecommendationFilter:
    qp = request.query_params
    since = qp.get("updated_since")
    f = RecommendationFilter(
        countries=tuple(qp.getlist("country")),
        cycles=tuple(int(c) for c in qp.getlist("cycle")),
        positions=tuple(qp.getlist("position")),
        q=qp.get("q") or None,
        updated_since=dt.datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None,
    )
    token = qp.get("since_token")
    if token:
        # The token is checked as the service checks it (its HMAC and filters).
        snapshot = sync.decode(token, resource=RESOURCE, filters=filters_key(f)).snapshot
        f = dataclasses.replace(f, since=snapshot, include_deleted=True)
    return f


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def list_recommendations(request: Request) -> Response:
    f = _filter(request)
    limit = int(request.query_params.get("limit", "50"))
    order = _order(f)
    text, values = queries.page_statement(f, order, limit=limit + 1, with_snapshot=True)
    rows = await _pool(request).fetch(text, *values)
    if rows:
        snapshot = rows[0]["snapshot"]
    else:  # as the service does: the snapshot at which the page is empty
        text, values = queries.empty_page_statement(f, order, limit=limit + 1)
        snapshot = (await _pool(request).fetchrow(text, *values))["snapshot"]
    # The sync token, as the service signs it.
    token = sync.encode(sync.SyncToken(RESOURCE, filters_key(f), sync.Snapshot.parse(snapshot)))
    more = len(rows) > limit
    next_cursor = _cursor(order, rows[limit - 1], token) if more else None
    body = (
        '{"items":['
        + ",".join(r["item"] for r in rows[:limit])
        + '],"next_cursor":'
        + orjson.dumps(next_cursor).decode()
        + ',"sync_token":'
        + orjson.dumps(None if more else token).decode()
        + "}"
    )
    return Response(body.encode(), media_type="application/json")


# The statement the service runs for one recommendation.
_ITEM = _ITEM_BY_ID


async def get_recommendation(request: Request) -> Response:
    row = await _pool(request).fetchrow(_ITEM, uuid.UUID(request.path_params["ident"]))
    if row is None:
        return Response(status_code=404)
    etag = f'"v{row["version"]}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(row["item"].encode(), media_type="application/json", headers={"ETag": etag})


async def facets(request: Request) -> Response:
    w = queries.where(_filter(request))
    text, values = args(queries.facets_sql(w), w.params)
    groups: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("position", "status", "theme", "sdg_goal", "recommending_state", "cycle")
    }
    total = 0
    for facet, value, n in await _pool(request).fetch(text, *values):
        if facet == "total":
            total = n
        else:
            groups[facet].append({"value": str(value), "count": n})
    for values_ in groups.values():
        values_.sort(key=lambda v: (-v["count"], v["value"]))
    return Response(orjson.dumps({"total": total, **groups}), media_type="application/json")


async def export_csv(request: Request) -> StreamingResponse:
    w = queries.where(_filter(request))
    text, values = args(queries.export_sql(w, json_rows=False), w.params)
    pool = _pool(request)

    async def rows() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        csv.writer(buffer).writerow(queries.CSV_COLUMNS)
        yield buffer.getvalue().encode()
        async with pool.acquire() as conn, conn.transaction():
            batch: list[Any] = []
            async for record in conn.cursor(text, *values, prefetch=1000):
                batch.append(record)
                if len(batch) >= 1000:
                    yield _csv(batch)
                    batch = []
            if batch:
                yield _csv(batch)

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8")


def _csv(batch: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(batch)
    return buffer.getvalue().encode()


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_FLOOR_DSN"],
        min_size=int(os.environ.get("BENCH_FLOOR_POOL", "40")),
        max_size=int(os.environ.get("BENCH_FLOOR_POOL", "40")),
        server_settings={"application_name": "followup-floor", "timezone": "UTC"},
    )
    # The API's own start-up setting (services/api/app.py): the floor is the best this
    # machine does, so it gets it too.
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/v1/recommendations", list_recommendations),
        Route("/v1/recommendations/facets", facets),
        Route("/v1/recommendations/export.csv", export_csv),
        Route("/v1/recommendations/{ident}", get_recommendation),
    ],
    lifespan=lifespan,
)
